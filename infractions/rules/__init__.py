"""Traffic rules over georeferenced tracks: configuration, the four rules and the incremental engine."""
from infractions.rules.base import Finding
from infractions.rules.config import RulesConfig, RulesConfigError, default_rules, load_rules, parse_rules
from infractions.rules.engine import RULE_TYPES, EngineStats, RuleEngine
from infractions.rules.observation import Observation
from infractions.rules.patrol import PatrolConfig, PatrolConfigError, load_patrol_config

__all__ = ["Finding", "RulesConfig", "RulesConfigError", "default_rules", "load_rules", "parse_rules",
           "RULE_TYPES", "EngineStats", "RuleEngine", "Observation", "PatrolConfig", "PatrolConfigError",
           "load_patrol_config"]

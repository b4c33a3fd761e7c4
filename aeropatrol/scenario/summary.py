"""The summary printed at the end of ``aeropatrol sim run`` / ``aeropatrol demo``: where the report and the
evidence are, and the acceptance table."""
from __future__ import annotations


def print_summary(result) -> None:
    """Print the run's paths and key figures as a rich table (plain text without a terminal)."""
    from rich.console import Console
    from rich.table import Table

    m = result.metrics
    console = Console()
    table = Table(title=f"scenario {m.get('scenario', '?')}: {'OK' if result.ok else 'FAILED'}")
    table.add_column("check")
    table.add_column("measured")
    table.add_column("met")
    for k, v in m.get("acceptance", {}).items():
        table.add_row(k, str(v["value"]), "yes" if v["met"] else "NO")
    for kind, r in sorted(m.get("infractions", {}).get("per_rule", {}).items()):
        table.add_row(f"{kind} precision / recall", f"{r['precision']:.2f} / {r['recall']:.2f} "
                      f"(TP {r['true_positives']}, FP {r['false_positives']}, FN {r['false_negatives']})", "")
    v = m.get("vision", {})
    if v.get("geo_median_m") is not None:
        table.add_row("geolocation median / p95", f"{v['geo_median_m']:.2f} / {v['geo_p95_m']:.2f} m", "")
    if v.get("speed_mae_kmh") is not None:
        table.add_row("speed MAE", f"{v['speed_mae_kmh']:.2f} km/h", "")
    w = m.get("wall_s", {})
    if w:
        table.add_row("wall time", f"{w.get('total', 0):.0f} s for {m.get('sim_s', 0)} s sim, {m.get('frames', 0)} frames", "")
    console.print(table)
    for f in result.failures:
        console.print(f"[red]failure:[/red] {f}")
    console.print(f"report:   {result.report_md}  and  {result.report_html}")
    console.print(f"evidence: {result.out_dir}/<drone>/evidence/  (verify: aeropatrol evidence verify DIR)")
    console.print(f"ground:   {result.out_dir}/ground/inbox.db   logs: {result.out_dir}/logs/")

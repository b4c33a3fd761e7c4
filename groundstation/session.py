"""Who is logged in and what their role allows (pilot flies, reviewer reviews, admin does both)."""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("pilot", "reviewer", "admin")


class PermissionDenied(PermissionError):
    """The logged-in role may not do this."""


@dataclass(frozen=True)
class Session:  # noqa: D101 - documented below
    """The logged-in user: name and role."""

    username: str
    role: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; expected one of {', '.join(ROLES)}")

    #: the authenticated ``infractions.store.users.User`` (None in a store-less demo session)
    user: object = None

    def can(self, permission: str) -> bool:
        """The store's permission table when logged in against it; else the role names' obvious meaning."""
        if self.user is not None and hasattr(self.user, "can"):
            return bool(self.user.can(permission))
        table = {"pilot": {"fly", "plan", "view_live"}, "reviewer": {"view_live", "view_evidence", "review", "export"}}
        return self.role == "admin" or permission in table.get(self.role, set())

    @property
    def can_fly(self) -> bool:
        return self.can("fly")

    @property
    def can_review(self) -> bool:
        return self.can("review")

    def require_fly(self) -> None:
        if not self.can_fly:
            raise PermissionDenied(f"user {self.username!r} ({self.role}) may not fly the vehicle")

    def require_review(self) -> None:
        if not self.can_review:
            raise PermissionDenied(f"user {self.username!r} ({self.role}) may not review infractions")

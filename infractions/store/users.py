"""Users, roles and permissions (pilot, reviewer, admin) with argon2id-hashed passwords."""
from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update

from infractions.store import audit
from infractions.store.schema import users

ROLES: tuple[str, ...] = ("pilot", "reviewer", "admin")
#: What each role may do. A reviewer cannot fly; a pilot cannot review.
PERMISSIONS: dict[str, frozenset[str]] = {
    "pilot": frozenset({"fly", "plan", "view_live"}),
    "reviewer": frozenset({"view_live", "view_evidence", "review", "export"}),
    "admin": frozenset({"fly", "plan", "view_live", "view_evidence", "review", "export", "manage_users",
                        "purge", "release", "configure"}),
}


class AuthError(PermissionError):
    """Unknown user, inactive user or wrong password (the message does not say which)."""


class PermissionDenied(PermissionError):
    """The user's role does not allow the action; names the user, role and permission."""


@dataclass(frozen=True)
class User:
    """An authenticated (or looked-up) user and their role."""

    username: str
    role: str

    def can(self, permission: str) -> bool:
        """Whether this user's role grants ``permission`` (e.g. ``fly``, ``review``, ``purge``)."""
        return permission in PERMISSIONS.get(self.role, frozenset())

    def require(self, permission: str) -> None:
        """Raise ``PermissionDenied`` unless the role grants ``permission``."""
        if not self.can(permission):
            raise PermissionDenied(f"user {self.username!r} ({self.role}) may not {permission}")


class UserDirectory:
    """Accounts stored in the infractions store; logins and changes go to the audit log."""

    def __init__(self, store) -> None:
        self.store = store
        self._hasher = PasswordHasher()

    def count(self) -> int:
        """Number of accounts (zero means the first admin may be created without logging in)."""
        with self.store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(users)).scalar() or 0)

    def add(self, username: str, password: str, role: str, actor: User | None = None) -> User:
        """Create an account; needs an admin ``actor`` unless the directory is empty (bootstrap)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        if not username or len(username) > 64:
            raise ValueError("username must be 1-64 characters")
        if len(password) < 8:
            raise ValueError("password must be at least 8 characters")
        with self.store.engine.begin() as conn:
            empty = not conn.execute(select(func.count()).select_from(users)).scalar()
            if actor is None and not empty:
                raise PermissionDenied("creating a user needs an admin once any user exists")
            if actor is not None:
                actor.require("manage_users")
            if conn.execute(select(users.c.username).where(users.c.username == username)).first():
                raise ValueError(f"user {username!r} already exists")
            conn.execute(users.insert().values(username=username, password_hash=self._hasher.hash(password),
                                               role=role, active=True, created_s=self.store.now()))
            audit.append(conn, time_s=self.store.now(), actor=actor.username if actor else username,
                         action="user_add", target=f"user:{username}", detail={"role": role})
        return User(username, role)

    def get(self, username: str) -> User:
        """Look up an active user without a password (for display); ``AuthError`` if absent."""
        with self.store.read() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).first()
        if row is None or not row.active:
            raise AuthError(f"no active user {username!r}")
        return User(row.username, row.role)

    def authenticate(self, username: str, password: str) -> User:
        """Check the password; log success or failure; ``AuthError`` on any failure."""
        with self.store.read() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).first()
        ok = False
        if row is not None and row.active:
            try:
                ok = self._hasher.verify(row.password_hash, password)
            except (VerificationError, InvalidHashError):
                ok = False
        with self.store.engine.begin() as conn:
            audit.append(conn, time_s=self.store.now(), actor=username, action="login" if ok else "login_failed",
                         target=f"user:{username}")
            if ok and self._hasher.check_needs_rehash(row.password_hash):
                conn.execute(update(users).where(users.c.username == username)
                             .values(password_hash=self._hasher.hash(password)))
        if not ok:
            raise AuthError("unknown user or wrong password")
        return User(row.username, row.role)

    def set_active(self, username: str, active: bool, actor: User) -> None:
        """Enable or disable an account (admin only); accounts are never deleted, for the audit trail."""
        actor.require("manage_users")
        with self.store.engine.begin() as conn:
            n = conn.execute(update(users).where(users.c.username == username).values(active=active)).rowcount
            if not n:
                raise ValueError(f"no user {username!r}")
            audit.append(conn, time_s=self.store.now(), actor=actor.username,
                         action="user_enable" if active else "user_disable", target=f"user:{username}")

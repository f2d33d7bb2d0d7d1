"""Accounts of the web service: log in, add, disable, enable, re-password, re-role, list.

The rules (roles, who manages users, password length) are those of
:mod:`myotrial.services.access`; hashes are made by :mod:`myotrial.services.passwords`.
``caller`` ``None`` is the command line, run by whoever administers the machine; it
names itself with ``actor`` (the login name) for the audit trail.

Every change is written to the audit trail (table ``users``: who, when, what, old and
new role or site; never a password), and disabling an account, a new password or a new
role ends every session of the account at once, in the same transaction.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from myotrial.errors import InvalidInputError
from myotrial.services.access import (
    Caller,
    account_problems,
    password_problems,
    require_user_manager,
    role_problems,
    site_of_role,
)
from myotrial.services.passwords import (
    PasswordHasher,
    hash_password,
    password_hasher,
    verify_password,
)
from myotrial.services.uow import UnitOfWorkFactory, UseCases


class Accounts(UseCases):
    """The account use cases over one store.

    Parameters
    ----------
    uow : callable
        Makes a new unit of work (``TrialStore.unit_of_work``, or a fake in tests).
    hasher : PasswordHasher, optional
        Argon2id hasher (default: RFC 9106's low-memory profile).
    """

    def __init__(self, uow: UnitOfWorkFactory, hasher: PasswordHasher | None = None) -> None:
        super().__init__(uow)
        self.hasher = hasher or password_hasher()

    @cached_property
    def _dummy_hash(self) -> str:
        """Checked when a user name is unknown, so that a wrong name takes as long to
        refuse as a wrong password (no user enumeration by timing)."""
        return hash_password(self.hasher, "not-a-real-password")

    def active_user(self, username: str) -> dict[str, Any] | None:
        """The active user ``username`` (with role and site), or ``None``."""
        with self.uow() as uow:
            return uow.users.get(username)

    def authenticate(self, username: str, password: str) -> dict[str, Any] | None:
        """The user when the password matches, else ``None`` (same cost either way)."""
        user = self.active_user(username)
        if user is None:
            verify_password(self.hasher, self._dummy_hash, password)  # same cost as a miss
            return None
        return user if verify_password(self.hasher, user["password_hash"], password) else None

    def add_user(
        self,
        caller: Caller | None,
        username: str,
        password: str,
        role: str,
        site: str | None,
        actor: str = "",
    ) -> dict[str, Any]:
        """Create a user.

        Raises
        ------
        AccessDeniedError
            If the caller is not an admin.
        InvalidInputError
            Listing every broken account rule, or a name already taken.
        """
        require_user_manager(caller, "add users")
        problems = account_problems(username, password, role, site)
        if problems:
            raise InvalidInputError(problems)
        password_hash = hash_password(self.hasher, password)
        with self.uow() as uow:
            uow.users.add(username, password_hash, role, site)
            change = {"username": username, "action": "add", "field": "role", "new_value": role}
            uow.users.record_change(change, _by(caller, actor), "account added")
            uow.commit()
        return {"username": username, "role": role, "site": site}

    def disable_user(self, caller: Caller | None, username: str, actor: str = "") -> int:
        """Disable a user and end their sessions at once.

        Returns
        -------
        int
            How many live sessions were ended.

        Raises
        ------
        AccessDeniedError
            If the caller is not an admin.
        NotFoundError
            If there is no such user.
        """
        require_user_manager(caller, "disable users")
        return self._change(caller, username, {"active": False}, actor, "disable")

    def enable_user(self, caller: Caller | None, username: str, actor: str = "") -> None:
        """Let a disabled user log in again (sessions ended by disabling stay ended).

        Raises
        ------
        AccessDeniedError
            If the caller is not an admin.
        NotFoundError
            If there is no such user.
        """
        require_user_manager(caller, "enable users")
        self._change(caller, username, {"active": True}, actor, "enable")

    def set_password(
        self, caller: Caller | None, username: str, password: str, actor: str = ""
    ) -> int:
        """Give a user a new password and end their sessions; return how many ended.

        Raises
        ------
        AccessDeniedError
            If the caller is not an admin.
        InvalidInputError
            If the password breaks the password rules.
        NotFoundError
            If there is no such user.
        """
        require_user_manager(caller, "change passwords")
        problems = password_problems(password)
        if problems:
            raise InvalidInputError(problems)
        values = {"password_hash": hash_password(self.hasher, password)}
        return self._change(caller, username, values, actor, "password")

    def set_role(
        self, caller: Caller | None, username: str, role: str, site: str | None, actor: str = ""
    ) -> int:
        """Give a user a new role (and site) and end their sessions; return how many ended.

        A site is kept for investigators only (the other roles see every site or none).

        Raises
        ------
        AccessDeniedError
            If the caller is not an admin.
        InvalidInputError
            If the role is unknown or an investigator has no site.
        NotFoundError
            If there is no such user.
        """
        require_user_manager(caller, "change roles")
        problems = role_problems(role, site)
        if problems:
            raise InvalidInputError(problems)
        values = {"role": role, "site": site_of_role(role, site)}
        return self._change(caller, username, values, actor, "role")

    def _change(
        self,
        caller: Caller | None,
        username: str,
        values: dict[str, Any],
        actor: str,
        action: str,
    ) -> int:
        """Apply ``values`` to the account, audit each changed field, end its sessions
        unless it is being enabled; all in one transaction (the caller checked the role)."""
        by = _by(caller, actor)
        with self.uow() as uow:
            before = uow.users.find(username)
            uow.users.update(username, values)
            for field, new in values.items():
                shown = field != "password_hash"  # a hash is never written to the audit
                change = {
                    "username": username,
                    "action": action,
                    "field": field if shown else "password",
                    "old_value": _text(before.get(field)) if shown else None,
                    "new_value": _text(new) if shown else None,
                }
                uow.users.record_change(change, by, f"account {action}")
            ended = 0 if action == "enable" else uow.users.end_sessions(username)
            uow.commit()
        return ended

    def users(self, caller: Caller | None) -> list[dict[str, Any]]:
        """Every user (username, role, site, active, created_at), without password hashes.

        Raises
        ------
        AccessDeniedError
            If the caller is not an admin.
        """
        require_user_manager(caller, "list users")
        with self.uow() as uow:
            return uow.users.list()


def _by(caller: Caller | None, actor: str) -> str:
    """Who makes an account change, as the audit trail names them."""
    if caller is not None:
        return caller.username
    return actor or "command line"


def _text(value: Any) -> str | None:
    """A value as the audit trail shows it (flags as true/false)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

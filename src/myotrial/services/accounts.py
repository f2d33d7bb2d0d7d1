"""Accounts of the web service: log in, add, disable and list users.

The rules (roles, who manages users, password length) are those of
:mod:`myotrial.services.access`; hashes are made by :mod:`myotrial.services.passwords`.
``caller`` ``None`` is the command line, run by whoever administers the machine.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from myotrial.errors import InvalidInputError
from myotrial.services.access import Caller, account_problems, require_user_manager
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
        self, caller: Caller | None, username: str, password: str, role: str, site: str | None
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
            uow.commit()
        return {"username": username, "role": role, "site": site}

    def disable_user(self, caller: Caller | None, username: str) -> None:
        """Disable a user at once (their tokens stop working on the next request).

        Raises
        ------
        AccessDeniedError
            If the caller is not an admin.
        NotFoundError
            If there is no such user.
        """
        require_user_manager(caller, "disable users")
        with self.uow() as uow:
            uow.users.set_active(username, False)
            uow.commit()

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

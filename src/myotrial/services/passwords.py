"""Password hashing: Argon2id, never a password in clear.

Hashes follow RFC 9106's second recommended option (the low-memory profile of
argon2-cffi); a hash records its own parameters, so verifying never depends on the
hasher that checks it. The rules a new password must meet live in
:mod:`myotrial.services.access`.

This is the only module that imports argon2 (the ``server`` extra).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

from myotrial.errors import InvalidInputError
from myotrial.services.access import password_problems

__all__ = ["PasswordHasher", "hash_password", "password_hasher", "verify_password"]


def password_hasher(light: bool = False) -> PasswordHasher:
    """The Argon2id hasher: RFC 9106's low-memory profile, or a light one for tests.

    Parameters
    ----------
    light : bool
        Use one pass over 1 MiB (fast, for tests only) instead of RFC 9106's profile.
    """
    if light:
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


def hash_password(hasher: PasswordHasher, password: str) -> str:
    """Argon2id hash of ``password`` (salted, self-describing).

    Raises
    ------
    InvalidInputError
        When the password breaks the rules of :func:`~myotrial.services.access.password_problems`.
    """
    problems = password_problems(password)
    if problems:
        raise InvalidInputError(problems)
    return hasher.hash(password)


def verify_password(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; never raises on a mismatch."""
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False

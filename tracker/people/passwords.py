"""Password hashing with Argon2id (OWASP ASVS 5.0 appendix C)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 8


@cache
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def _current_hasher() -> PasswordHasher:
    config = current_app.config
    return _hasher(config["TRACKER_PASSWORD_TIME_COST"], config["TRACKER_PASSWORD_MEMORY_KIB"])


def hash_password(password: str) -> str:
    return _current_hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _current_hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker settings than today's."""
    return _current_hasher().check_needs_rehash(password_hash)


def dummy_verify() -> None:
    """Spend the time a real check would, so unknown accounts are not revealed by timing."""
    verify_password(_dummy_hash(), "not the password")


@cache
def _dummy_hash_for(time_cost: int, memory_kib: int) -> str:
    return _hasher(time_cost, memory_kib).hash("a password nobody has")


def _dummy_hash() -> str:
    config = current_app.config
    return _dummy_hash_for(
        config["TRACKER_PASSWORD_TIME_COST"], config["TRACKER_PASSWORD_MEMORY_KIB"]
    )

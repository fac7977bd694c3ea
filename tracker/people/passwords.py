"""Password hashing with Argon2id (OWASP ASVS 5.0 appendix C), and the common-password list."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 8
MAX_LENGTH = 128

# The 20,000 most common passwords (Royce Williams's list), lowercased: the very
# file Django 5.2 ships for its CommonPasswordValidator (BSD licence). Source,
# checksum and licence: common-passwords.README.txt beside it. Shipped with the
# code because the campus network has no internet access.
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt.gz")


@cache
def _common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines)


def is_common(password: str) -> bool:
    """Whether the password, in any case, is one of the most common passwords."""
    return password.strip().lower() in _common_passwords()


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

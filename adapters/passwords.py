from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP Password Storage Cheat Sheet: argon2id, 12 MiB, 3 iterations, 1 lane, one of the settings it lists as
# equal in strength. Chosen over 19 MiB / 2 by measurement: two 12 MiB verifies at once share the cores' caches
# (1.94x one verify) where two 19 MiB ones do not (1.78x). Older hashes still verify and are rehashed at sign-in.
OWASP: dict[str, Any] = {"time_cost": 3, "memory_cost": 12 * 1024, "parallelism": 1}


class Argon2Hasher:
    """One hash at a time per process (gunicorn runs one process per core, each with several threads): argon2
    is memory-hard, and interleaved hashes on one core evict each other's memory from the caches. Measured with
    gthread workers: 7% more CPU per sign-in without this, none with it (docs/decisions/0004-gthread-workers.md)."""

    def __init__(self, *, at_once: int = 1, **parameters: Any):
        self.hasher = argon2.PasswordHasher(**(parameters or OWASP))
        self.turns = threading.BoundedSemaphore(at_once)

    def hash(self, password: str) -> str:
        with self.turns:
            return self.hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            with self.turns:
                return self.hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)


if TYPE_CHECKING:  # mypy proves that each class is what the domain's port asks for
    from domain import ports

    _password_hasher: type[ports.PasswordHasher] = Argon2Hasher

"""Proving a mobile with an SMS code, in two short transactions around the expensive part.

`check_code` counts the try and compares, and its transaction commits at once: a wrong code costs a row lock and
no argon2. The new password is hashed after it, outside any transaction. `spend_code` then spends the same code
in the transaction that makes the change it proves, so a failure in between leaves the code usable, and of two
requests racing with one code only the first to spend it goes on.
"""

from __future__ import annotations

from datetime import datetime

from domain.events import ClientContext
from domain.ports import UnitOfWork
from domain.rules import Rules


def check_code(
    uow: UnitOfWork, mobile: str, purpose: str, code: str, now: datetime, rules: Rules, client: ClientContext
) -> int | None:
    """The id of the current code when `code` is it, else None. The try is counted either way."""
    challenge = uow.sms.current_for_update(mobile, purpose)
    if challenge is None or not challenge.try_code(code, now, rules, client.ip):
        return None
    return challenge.id


def spend_code(uow: UnitOfWork, mobile: str, purpose: str, challenge_id: int) -> bool:
    """Spend the code check_code accepted, unless it was replaced, used or killed since."""
    challenge = uow.sms.current_for_update(mobile, purpose)
    if challenge is None or challenge.id != challenge_id:
        return False
    challenge.spent = True
    return True

"""The other half of a captcha: checking an answer, inside the caller's unit of work (sign-in, SMS sending)."""

from __future__ import annotations

from datetime import datetime

from domain import errors
from domain.model import canonical_captcha_id
from domain.ports import UnitOfWork
from domain.rules import Rules


def take_captcha(uow: UnitOfWork, raw_id: str, answer: str, now: datetime, rules: Rules) -> bool:
    """Check a captcha answer, consuming the captcha whether it matches or not."""
    try:
        captcha_id = canonical_captcha_id(raw_id)
    except errors.InvalidInput:
        return False
    challenge = uow.captchas.take(captcha_id)
    return challenge is not None and challenge.matches(answer, now, rules)

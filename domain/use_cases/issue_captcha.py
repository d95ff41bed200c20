from __future__ import annotations

import uuid
from dataclasses import dataclass

from domain import errors
from domain.events import ClientContext
from domain.model import CaptchaChallenge, digest
from domain.ports import CaptchaRenderer, Clock, Codes, UnitOfWorkFactory
from domain.rules import Rules


def canonical_captcha_id(raw: str) -> str:
    """The client's uuid in one spelling; anything else is refused."""
    try:
        return str(uuid.UUID(raw.strip()))
    except (ValueError, AttributeError):
        raise errors.InvalidInput("captcha_id", field="captcha") from None


@dataclass(frozen=True)
class IssueCaptchaCommand:
    captcha_id: str
    client: ClientContext


class IssueCaptcha:
    """Draw a captcha and keep its answer's digest. No audit event: an image view changes no account, and any
    page can be reloaded at will, so a row per view would grow the 180-day log by what visitors do, not by what
    happens to accounts. Where a captcha matters, its use is recorded (login.failed, sms_code.refused with
    reason captcha_invalid)."""

    def __init__(self, uow: UnitOfWorkFactory, renderer: CaptchaRenderer, clock: Clock, codes: Codes, rules: Rules):
        self.uow, self.renderer, self.clock, self.codes, self.rules = uow, renderer, clock, codes, rules

    def __call__(self, cmd: IssueCaptchaCommand) -> bytes:
        captcha_id = canonical_captcha_id(cmd.captcha_id)
        text = self.codes.text(self.rules.captcha_alphabet, self.rules.captcha_length)
        image = self.renderer.render(text)  # before the transaction: keep it short
        now = self.clock.now()
        with self.uow() as uow:
            uow.captchas.put(
                CaptchaChallenge(
                    id=captcha_id,
                    answer_digest=digest(self.rules.code_key, "captcha", captcha_id, text),
                    expires_at=now + self.rules.captcha_ttl,
                )
            )
            uow.commit()
        return image


def take_captcha(uow, raw_id: str, answer: str, now, rules: Rules) -> bool:
    """Check a captcha answer, consuming the captcha whether it matches or not."""
    try:
        captcha_id = canonical_captcha_id(raw_id)
    except errors.InvalidInput:
        return False
    challenge = uow.captchas.take(captcha_id)
    return challenge is not None and challenge.matches(answer, now, rules)

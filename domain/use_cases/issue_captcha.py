from __future__ import annotations

from dataclasses import dataclass

from domain.events import ClientContext
from domain.model import CaptchaChallenge, canonical_captcha_id, digest
from domain.ports import CaptchaRenderer, Clock, Codes, UnitOfWorkFactory
from domain.rules import Rules


@dataclass(frozen=True)
class CaptchaRequest:
    captcha_id: str
    client: ClientContext


class IssueCaptcha:
    """Draw a captcha and keep its answer's digest. No audit event: an image view changes no account, and any
    page can be reloaded at will, so a row per view would grow the 180-day log by what visitors do, not by what
    happens to accounts. Where a captcha matters, its use is recorded (login.failed, sms_code.refused with
    reason captcha_invalid)."""

    def __init__(self, uow: UnitOfWorkFactory, renderer: CaptchaRenderer, clock: Clock, codes: Codes, rules: Rules):
        self.uow, self.renderer, self.clock, self.codes, self.rules = uow, renderer, clock, codes, rules

    def __call__(self, cmd: CaptchaRequest) -> bytes:
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

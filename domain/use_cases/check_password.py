from __future__ import annotations

from domain.model import check_new_password
from domain.rules import Rules


class CheckNewPassword:
    """Tells a sign-up or reset page, before any SMS is sent, whether a new password would be accepted: the
    same check registration and reset make, so nobody spends a code to learn the password is too common.
    Nothing is stored or recorded: the answer depends on the password alone, never on an account."""

    def __init__(self, rules: Rules):
        self.rules = rules

    def __call__(self, password: str) -> None:
        check_new_password(password, password, self.rules)

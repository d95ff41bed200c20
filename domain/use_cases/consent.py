"""《用户协议》 and 《隐私政策》: which versions a person accepted, recorded when they do."""

from __future__ import annotations

from datetime import datetime

from domain.events import ClientContext, EventType
from domain.flows.audit import record
from domain.model import Consent
from domain.ports import UnitOfWork
from domain.rules import Rules


def record_consent(
    uow: UnitOfWork, user_id: int, rules: Rules, *, now: datetime, client: ClientContext, mobile: str | None = None
) -> None:
    """For the sign-up use cases, in the transaction that creates the account: both documents, in the versions
    the pages show now (the request's one `agreement` box covers both)."""
    documents = {"terms": rules.terms_version, "privacy": rules.privacy_version}
    for document, version in documents.items():
        uow.consents.add(Consent(user_id, document, version, now))
    record(uow, EventType.CONSENT_GIVEN, now=now, client=client, mobile=mobile, user_id=user_id, documents=documents)

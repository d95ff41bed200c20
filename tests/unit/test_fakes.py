"""The fakes themselves: the other tests rely on their rollback and commit semantics."""

from datetime import UTC, datetime

import pytest

from domain import errors
from domain.events import AuditEvent, EventType
from tests.builders import CLIENT, add_user, make_services
from tests.fakes import DatabaseDown, FakeStore, FakeUnitOfWork


def _event():
    return AuditEvent(EventType.USER_LOGGED_OUT, datetime.now(UTC), CLIENT)


def test_exit_without_commit_discards_writes_and_events():
    s = make_services()
    with s.uow() as uow:
        add_user(s)
        uow.record(_event())
    assert s.store.users.rows == {}
    assert s.store.events == []


def test_commit_keeps_writes_and_publishes_events():
    s = make_services()
    with s.uow() as uow:
        add_user(s)
        uow.record(_event())
        uow.commit()
    assert [u.mobile for u in s.store.users.rows.values()] == ["13800138000"]
    assert [e.type for e in s.store.events] == [EventType.USER_LOGGED_OUT]


def test_add_enforces_unique_mobile_and_failed_commit_writes_nothing():
    store = FakeStore()
    s = make_services(store=store)
    add_user(s)
    with pytest.raises(errors.Conflict):
        add_user(s)
    store.fail_next_commit = DatabaseDown()
    with pytest.raises(DatabaseDown), FakeUnitOfWork(store) as uow:
        store.users.rows.clear()
        uow.record(_event())
        uow.commit()
    assert len(store.users.rows) == 1 and store.events == []


def test_rollback_undoes_mutations_in_place():
    s = make_services()
    user = add_user(s)
    with s.uow() as uow:
        uow.users.get(user.id).failed_logins = 3
    assert s.store.users.get(user.id) is user and user.failed_logins == 0

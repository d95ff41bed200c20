"""用户: find users, read one with its events, and act on it. Every action checks the role and is recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain import errors
from domain.console import EventFilter, Page, UserQuery, with_masked_mobiles
from domain.events import AuditEvent, ClientContext, EventType
from domain.flows.operator_actions import record_action, require
from domain.model import SessionEnd, User, mask_mobile, normalize_mobile
from domain.operators import Action, Actor
from domain.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.rules import Rules

MAX_PAGE = 500  # deeper offsets get slow; a search narrows faster than paging
MAX_ID = 2**63 - 1  # ids are 64-bit: a larger number names no user (and no database takes it)


@dataclass(frozen=True)
class UserRow:
    id: int
    nickname: str
    masked_mobile: str
    created_at: datetime
    locked: bool
    disabled: bool

    @classmethod
    def of(cls, user: User, now: datetime) -> UserRow:
        assert user.id is not None
        return cls(
            user.id,
            user.nickname,
            mask_mobile(user.mobile),
            user.created_at,
            user.lock_remaining(now) > 0,
            user.disabled_at is not None,
        )


@dataclass(frozen=True)
class UserDetail:
    account: UserRow
    failed_logins: int
    locked_until: datetime | None  # while the lock lasts
    disabled_at: datetime | None
    events: list[AuditEvent]  # newest first


def an_id(raw: int) -> int | None:
    """The number as a user id, or None when no user can have it."""
    return raw if 0 < raw <= MAX_ID else None


def shown_to(actor: Actor, events: list[AuditEvent]) -> list[AuditEvent]:
    """Events as the operator may see them: full mobiles (in detail too) only for a role that may view them."""
    return events if actor.may(Action.VIEW_MOBILE) else [with_masked_mobiles(event) for event in events]


def page_number(raw: int) -> int:
    return min(max(1, raw), MAX_PAGE)


class SearchUsers:
    def __init__(self, reader: UnitOfWorkFactory, uow: UnitOfWorkFactory, clock: Clock, rules: Rules):
        self.reader, self.uow, self.clock, self.rules = reader, uow, clock, rules

    def __call__(self, actor: Actor, query: str, page: int, client: ClientContext) -> Page[UserRow]:
        require(actor, Action.READ, uow=self.uow, clock=self.clock, client=client)
        page, size, now = page_number(page), self.rules.console_page_size, self.clock.now()
        with self.reader() as uow:
            where = UserQuery.parse(query, prefix_on_mobiles=actor.may(Action.VIEW_MOBILE))
            users = uow.console.search_users(where, (page - 1) * size, size + 1)
        return Page([UserRow.of(u, now) for u in users[:size]], page, len(users) > size)


class ViewUser:
    def __init__(self, reader: UnitOfWorkFactory, uow: UnitOfWorkFactory, clock: Clock, rules: Rules):
        self.reader, self.uow, self.clock, self.rules = reader, uow, clock, rules

    def __call__(self, actor: Actor, user_id: int, client: ClientContext) -> UserDetail:
        require(actor, Action.READ, uow=self.uow, clock=self.clock, client=client, user_id=an_id(user_id))
        now = self.clock.now()
        with self.reader() as uow:
            user = uow.users.get(user_id) if an_id(user_id) else None
            if user is None:
                raise errors.NotFound("user")
            events = uow.console.events(EventFilter(user_id=user_id), 0, 50)
        events = shown_to(actor, events)
        locked = user.locked_until if user.lock_remaining(now) else None
        return UserDetail(UserRow.of(user, now), user.failed_logins, locked, user.disabled_at, events)


@dataclass(frozen=True)
class UserAction:
    actor: Actor
    user_id: int
    client: ClientContext


class _ActOnUser:
    """One action on one user: role checked first, the user's row held, the change and its event committed
    together; no event when nothing changed."""

    action: Action
    event: EventType

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock):
        self.uow, self.clock = uow, clock

    def __call__(self, cmd: UserAction) -> bool | str:
        require(cmd.actor, self.action, uow=self.uow, clock=self.clock, client=cmd.client, user_id=an_id(cmd.user_id))
        now = self.clock.now()
        with self.uow() as uow:
            user = uow.users.get_for_update(cmd.user_id) if an_id(cmd.user_id) else None
            if user is None:
                raise errors.NotFound("user")
            result = self.apply(uow, user, now)
            if result is False:
                return False
            record_action(uow, self.event, cmd.actor, now=now, client=cmd.client, user=user)
            uow.commit()
            return result

    def apply(self, uow: UnitOfWork, user: User, now: datetime) -> bool | str:
        raise NotImplementedError


class RevealMobile(_ActOnUser):
    """The full mobile: the only way the console shows one, and every time on the record."""

    action, event = Action.VIEW_MOBILE, EventType.ADMIN_MOBILE_VIEWED

    def apply(self, uow: UnitOfWork, user: User, now: datetime) -> str:
        return user.mobile


class UnlockUser(_ActOnUser):
    action, event = Action.UNLOCK, EventType.ADMIN_USER_UNLOCKED

    def apply(self, uow: UnitOfWork, user: User, now: datetime) -> bool:
        if user.locked_until is None and user.failed_logins == 0:
            return False
        user.login_succeeded()  # clears the count and the lock, as a right password would
        return True


class DisableUser(_ActOnUser):
    action, event = Action.DISABLE, EventType.ADMIN_USER_DISABLED

    def apply(self, uow: UnitOfWork, user: User, now: datetime) -> bool:
        if user.disabled_at is not None:
            return False
        user.disabled_at = now
        assert user.id is not None
        uow.sessions.end_all(user.id, now, SessionEnd.USER_DISABLED)
        return True


class EnableUser(_ActOnUser):
    action, event = Action.ENABLE, EventType.ADMIN_USER_ENABLED

    def apply(self, uow: UnitOfWork, user: User, now: datetime) -> bool:
        if user.disabled_at is None:
            return False
        user.disabled_at = None
        return True


class EndUserSessions(_ActOnUser):
    action, event = Action.END_SESSIONS, EventType.ADMIN_SESSIONS_ENDED

    def apply(self, uow: UnitOfWork, user: User, now: datetime) -> bool:
        assert user.id is not None
        uow.sessions.end_all(user.id, now, SessionEnd.ENDED_BY_OPERATOR)  # as 退出所有设备 does
        return True


@dataclass(frozen=True)
class OperatorMobileChange:
    actor: Actor
    user_id: int
    mobile: str  # the new one
    reason: str  # what the operator verified and where (a ticket): required, kept in the event
    client: ClientContext


class ChangeUserMobile:
    """申诉: a user who lost the old number proves who they are to an operator (docs/operator-console.md says
    how), and an admin (not an auditor) moves the account to the new number. The reason is required and kept in
    `admin.user_mobile_changed`; every session of the user ends. No SMS goes to the old number: its owner is the
    one who lost it, and it may belong to someone else now. The unique constraint on `users.mobile` decides a race
    with a sign-up or a 换绑 to the same number: one account gets it."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, rules: Rules):
        self.uow, self.clock, self.rules = uow, clock, rules

    def __call__(self, cmd: OperatorMobileChange) -> None:
        user_id = an_id(cmd.user_id)
        require(cmd.actor, Action.CHANGE_MOBILE, uow=self.uow, clock=self.clock, client=cmd.client, user_id=user_id)
        mobile = normalize_mobile(cmd.mobile)
        reason = " ".join(cmd.reason.split())  # one line in the audit log, whatever was pasted
        if not reason:
            raise errors.InvalidInput("reason_required", field="reason")
        if len(reason) > self.rules.operator_reason_max:
            raise errors.InvalidInput("reason_too_long", field="reason", max=self.rules.operator_reason_max)
        now = self.clock.now()
        try:
            with self.uow() as uow:
                user = uow.users.get_for_update(user_id) if user_id else None
                if user is None:
                    raise errors.NotFound("user")
                if mobile == user.mobile:
                    raise errors.MobileUnchanged()
                if uow.users.get_by_mobile(mobile) is not None:
                    raise errors.MobileInUse()
                assert user.id is not None
                uow.sessions.end_all(user.id, now, SessionEnd.MOBILE_CHANGED)
                old = user.change_mobile(mobile)
                record_action(
                    uow,
                    EventType.ADMIN_USER_MOBILE_CHANGED,
                    cmd.actor,
                    now=now,
                    client=cmd.client,
                    user=user,  # its mobile now the new one: the number the account holds from here on
                    old_mobile=mask_mobile(old),
                    new_mobile=mask_mobile(mobile),
                    reason=reason,
                )
                uow.commit()
        except errors.Conflict:  # another account took the number meanwhile
            raise errors.MobileInUse() from None

"""Event types: stored in the log and sent to webhooks by value, named in code by a member named for the value."""

from domain.events import EventType


def test_every_event_type_is_named_for_its_value():
    misnamed = [
        (member.name, member.value) for member in EventType if member.name != member.value.upper().replace(".", "_")
    ]
    assert misnamed == []


def test_the_values_of_the_session_events_stay_what_the_log_and_webhooks_hold():
    assert EventType.USER_LOGGED_OUT == "user.logged_out"
    assert EventType.SESSIONS_REVOKED == "sessions.revoked"  # 退出所有设备
    assert EventType.SESSION_REVOKED == "session.revoked"  # 下线: one session

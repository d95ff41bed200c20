"""IssueCaptcha and the captcha check shared by the SMS request and login."""

import uuid

import pytest
from freezegun import freeze_time

from domain import errors
from domain.flows.captcha import take_captcha
from domain.use_cases.issue_captcha import CaptchaRequest
from tests.builders import CLIENT, make_services
from tests.fakes import FakeCodes


def check(s, captcha_id, answer):
    """One check in its own transaction, as the use cases do it."""
    with s.uow() as uow:
        ok = take_captcha(uow, captcha_id, answer, s.clock.now(), s.rules)
        uow.commit()
    return ok


def issue(s, captcha_id):
    return s.issue_captcha(CaptchaRequest(captcha_id, CLIENT))


def test_issue_renders_text_and_stores_only_a_digest():
    s = make_services(codes=FakeCodes(texts=["QXWK"]))
    cid = str(uuid.uuid4())
    assert issue(s, cid) == b"PNG:QXWK"
    # Without 0/O, 1/I/L, 2/Z, 5/S, 8/B: characters a person confuses on a noisy image.
    assert s.codes.calls == [("text", "ACDEFGHJKMNPQRTUVWXY34679", 4)]
    assert list(s.store.captchas.rows) == [cid]
    assert "QXWK" not in repr(vars(s.store.captchas.rows[cid]))
    assert s.store.events == []  # an image view is not an audit event: the log does not grow per view


@pytest.mark.parametrize("raw", ["", "not-a-uuid", "1234", "6f1c1d2a-0000-4000-8000-00000000000", None])
def test_id_must_be_a_uuid(raw):
    s = make_services()
    with pytest.raises(errors.InvalidInput) as exc:
        issue(s, raw)
    assert (exc.value.slug, exc.value.field) == ("invalid_input", "captcha")
    assert s.store.captchas.rows == {} and s.store.events == []


def test_id_is_canonicalized():
    s = make_services()
    cid = uuid.uuid4()
    issue(s, f"{{{str(cid).upper()}}}")
    assert check(s, f" {cid} ", "ABCD")


def test_answer_is_case_insensitive_and_trimmed():
    s = make_services(codes=FakeCodes(texts=["QXWK"]))
    cid = str(uuid.uuid4())
    issue(s, cid)
    assert check(s, cid, " qxWk ")


@pytest.mark.parametrize("first", ["ABCD", "WXYZ"])
def test_first_check_consumes_right_or_wrong(first):
    s = make_services()
    cid = str(uuid.uuid4())
    issue(s, cid)
    assert check(s, cid, first) is (first == "ABCD")
    assert s.store.captchas.rows == {}
    assert check(s, cid, "ABCD") is False


def test_unknown_or_malformed_id_fails():
    s = make_services()
    assert check(s, str(uuid.uuid4()), "ABCD") is False
    assert check(s, "nope", "ABCD") is False


def test_expires_after_three_minutes():
    s = make_services()
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    with freeze_time("2024-01-01 12:00:00") as frozen:
        issue(s, a)
        issue(s, b)
        frozen.tick(179)
        assert check(s, a, "ABCD")
        frozen.tick(1)
        assert not check(s, b, "ABCD")


def test_reissuing_the_same_id_replaces_the_answer():
    s = make_services(codes=FakeCodes(texts=["QXWK", "MNPR", "QXWK", "MNPR"]))
    cid = str(uuid.uuid4())
    issue(s, cid)
    issue(s, cid)
    assert check(s, cid, "QXWK") is False  # the old answer no longer works
    issue(s, cid)
    issue(s, cid)
    assert check(s, cid, "MNPR") is True

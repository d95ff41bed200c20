"""One home for each number: domain/rules.py, changed only through the `RULES` setting, which the app and the
`accounts` commands read alike."""

from __future__ import annotations

import json
from datetime import timedelta

from entrypoints.bootstrap import make_rules
from tests.conftest import ApiClient


def test_rules_overrides_take_seconds_or_timedeltas_and_unknown_names_stop_the_start():
    rules = make_rules("k" * 32, {"sms_code_ttl": 600, "lock_duration": timedelta(minutes=3), "sms_per_ip_cap": 7})
    assert (rules.sms_code_ttl, rules.lock_duration, rules.sms_per_ip_cap) == (
        timedelta(minutes=10),
        timedelta(minutes=3),
        7,
    )
    try:
        make_rules("k" * 32, {"no_such_rule": 1})
    except TypeError as error:
        assert "no_such_rule" in str(error)
    else:
        raise AssertionError("an unknown rule name was accepted")


def test_the_sms_answer_quotes_the_code_lifetime_from_the_rules(make_app, sms, captcha):
    default = ApiClient(make_app(), sms, captcha).send_sms("13800138000")
    assert default.get_json()["message"] == "验证码已发送，5 分钟内有效"
    longer = ApiClient(make_app(RULES={"sms_code_ttl": timedelta(minutes=10)}), sms, captcha).send_sms("13900139000")
    assert longer.get_json()["message"] == "验证码已发送，10 分钟内有效"


def test_the_rules_setting_comes_from_the_environment_as_json(make_app, monkeypatch):
    monkeypatch.setenv("RULES", json.dumps({"nickname_max": 20, "sms_cooldown": 90}))
    rules = make_app().extensions["services"].rules
    assert (rules.nickname_max, rules.sms_cooldown) == (20, timedelta(seconds=90))


def test_the_pages_quote_the_lengths_the_rules_set(make_app):
    """记住我 on the sign-in page, the code and captcha lifetimes in the privacy policy, the console's session
    limits on its sign-in page: rendered from the rules, not written into the templates."""

    def pages(app) -> str:
        http = app.test_client()
        return "\n".join(
            http.get(path).get_data(as_text=True) for path in ("/login", "/privacy", "/admin/login", "/admin/setup")
        )

    default = pages(make_app())
    changed = pages(
        make_app(
            RULES={
                "remembered_session_lifetime": timedelta(days=7),
                "sms_code_ttl": 600,
                "captcha_ttl": 90,
                "sms_cap_window": timedelta(hours=48),
                "operator_session_lifetime": timedelta(hours=4),
                "operator_idle_timeout": timedelta(minutes=90),
                "password_min": 10,
                "password_max": 64,
            }
        )
    )
    for was, now in [
        ("记住我（30 天内免登录）", "记住我（7 天内免登录）"),
        ("登录状态保持 30 天，", "登录状态保持 7 天，"),
        ("5 分钟内有效，约 1 天后删除", "10 分钟内有效，约 2 天后删除"),
        ("图片验证码</strong>：3 分钟后失效", "图片验证码</strong>：90 秒后失效"),
        ("会话最长 8 小时，空闲 30 分钟后自动退出", "会话最长 4 小时，空闲 90 分钟后自动退出"),
        ("8-128 个字符，不能是常见密码", "10-64 个字符，不能是常见密码"),
        (
            'type="password" autocomplete="current-password" required maxlength="128"',
            'type="password" autocomplete="current-password" required maxlength="64"',
        ),
    ]:
        assert was in default and was not in changed, was
        assert now in changed, now

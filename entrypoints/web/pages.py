from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from domain.local_time import BEIJING
from domain.model import MOBILE_PATTERN
from entrypoints.messages import SIGN_IN_REFUSALS, page_words, say
from entrypoints.web.context import services
from entrypoints.web.redirects import vetted_next

pages = Blueprint("pages", __name__)

# Order matters: most agents also claim to be Safari, and Edge and Opera also claim Chrome.
BROWSERS = [
    ("MicroMessenger/", say("browser.wechat")),
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
]
SYSTEMS = [
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
]
DURATION_UNITS = [(86400, "duration.days"), (3600, "duration.hours"), (60, "duration.minutes"), (1, "duration.seconds")]


@pages.app_template_filter("beijing")
def beijing_time(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


@pages.app_template_filter("duration")
def duration(length: timedelta) -> str:
    """A rule's length as the pages quote it: "30 天", "8 小时", "90 分钟", in the largest unit that divides it."""
    seconds = int(length.total_seconds())
    size, words = next((size, words) for size, words in DURATION_UNITS if seconds % size == 0)
    return say(words, n=seconds // size)


@pages.app_template_filter("browser")
def browser_name(user_agent: str | None) -> str:
    """A reader's name for a user agent string: '微信 / Android', 'Chrome / Windows'."""
    agent = user_agent or ""
    browser = next((name for key, name in BROWSERS if key in agent), say("browser.unknown"))
    system = next((name for key, name in SYSTEMS if key in agent), say("system.unknown"))
    return f"{browser} / {system}"


@pages.app_context_processor
def page_settings() -> dict:
    """Branding from settings, and what the pages' scripts read from JSON rendered into the page: the limits they
    check before they ask the server (from domain/rules.py) and the words they show (from the catalogue). A
    script never repeats either."""
    rules = services().rules
    return {
        "site_name": current_app.config["SITE_NAME"],
        "header_links": current_app.config["HEADER_LINKS"],
        "rules": rules,
        "page_rules": {
            "mobilePattern": MOBILE_PATTERN.pattern,
            "smsCooldown": int(rules.sms_cooldown.total_seconds()),
            "nicknameMax": rules.nickname_max,
            "passwordMin": rules.password_min,
            "passwordMax": rules.password_max,
        },
        "page_words": page_words(),
        "say": say,  # templates that need a word the catalogue holds: {{ say("console.role.admin") }}
    }


def anonymous_only(template: str, **context):
    if current_user.is_authenticated:
        return redirect(context.get("next_target", url_for("pages.index")))
    return render_template(template, **context)


@pages.get("/")
def index():
    return render_template("index.html")


@pages.get("/register")
def register():
    return anonymous_only("register.html")


@pages.get("/login")
def login():
    # The page gets a vetted target only; its script checks the origin again before it follows it.
    return anonymous_only("login.html", next_target=vetted_next(request.args.get("next")))


@pages.get("/forgot-password")
def forgot_password():
    return render_template("forgot_password.html")


@pages.get("/terms")
def terms():
    return render_template("terms.html")


@pages.get("/profile")
@login_required
def profile():
    return render_template(
        "profile.html", profile=services().view_profile(current_user.user_id), sign_in_refusals=SIGN_IN_REFUSALS
    )


@pages.get("/settings")
@login_required
def settings():
    return render_template("settings.html", profile=services().view_profile(current_user.user_id))


@pages.app_context_processor
def documents():
    """The rules the documents quote (versions, retention, cool-off), from the instance the use cases got."""
    return {"service_rules": services().rules}


@pages.get("/privacy")
def privacy():
    return render_template("privacy.html")


@pages.get("/settings/delete-account")
@login_required
def delete_account():
    return render_template("delete_account.html")

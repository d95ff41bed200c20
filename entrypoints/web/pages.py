from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from entrypoints.web.context import services

pages = Blueprint("pages", __name__)

BEIJING = timezone(timedelta(hours=8), "北京时间")  # China keeps one zone and no daylight saving
# Order matters: most agents also claim to be Safari, and Edge and Opera also claim Chrome.
BROWSERS = [("MicroMessenger/", "微信"), ("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
            ("Chrome/", "Chrome"), ("Safari/", "Safari")]
SYSTEMS = [("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
           ("Mac OS X", "macOS"), ("Linux", "Linux")]


@pages.app_template_filter("beijing")
def beijing_time(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


@pages.app_template_filter("browser")
def browser_name(user_agent: str | None) -> str:
    """A reader's name for a user agent string: '微信 / Android', 'Chrome / Windows'."""
    agent = user_agent or ""
    browser = next((name for key, name in BROWSERS if key in agent), "未知浏览器")
    system = next((name for key, name in SYSTEMS if key in agent), "未知系统")
    return f"{browser} / {system}"


def anonymous_only(template: str):
    if current_user.is_authenticated:
        return redirect(url_for("pages.index"))
    return render_template(template)


@pages.get("/")
def index():
    return render_template("index.html")


@pages.get("/register")
def register():
    return anonymous_only("register.html")


@pages.get("/login")
def login():
    return anonymous_only("login.html")


@pages.get("/forgot-password")
def forgot_password():
    return render_template("forgot_password.html")


@pages.get("/terms")
def terms():
    return render_template("terms.html")


@pages.get("/profile")
@login_required
def profile():
    return render_template("profile.html", profile=services().view_profile(current_user.user_id))


@pages.get("/settings")
@login_required
def settings():
    return render_template("settings.html")


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

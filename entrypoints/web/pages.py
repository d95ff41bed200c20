from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

pages = Blueprint("pages", __name__)


@pages.get("/")
def index():
    return render_template("index.html")


@pages.get("/register")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("pages.index"))
    return render_template("register.html")


@pages.get("/login")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("pages.index"))
    return render_template("login.html")


@pages.get("/terms")
def terms():
    return render_template("terms.html")

"""The operator console (管理后台) under /admin: a Flask app of its own, mounted beside the users' app.

Why a second app rather than a blueprint: Flask's session settings are per app, and the console needs its own
cookie (name, path /admin, SameSite=Strict, a different signing salt), its own CSRF tokens kept in that cookie,
and a guard in front of every route; the users' sign-in (Flask-Login) must not see operators at all. The two
apps share the one `Services` the composition root built, so they share the database, rules and audit log.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from entrypoints.web.admin.api import admin_api
from entrypoints.web.admin.auth import init_operator_sessions
from entrypoints.web.admin.pages import admin_pages
from entrypoints.web.context import init_request_context
from entrypoints.web.errors import init_error_handlers
from entrypoints.web.json_input import BoundedJSONProvider
from entrypoints.web.pages import beijing_time, browser_name, duration, page_settings
from entrypoints.web.security import init_security

PREFIX = "/admin"


def create_admin_app(user_app: Flask) -> Flask:
    admin = Flask(__name__, template_folder="../templates", static_folder=None)
    admin.config.from_mapping(user_app.config)
    admin.json = BoundedJSONProvider(admin)  # deep nesting is a 400 here too, not a RecursionError
    admin.config.update(
        SESSION_COOKIE_NAME="accounts_admin",
        SESSION_COOKIE_PATH=PREFIX,
        SESSION_COOKIE_SAMESITE="Strict",  # no console request starts on another site
        # the cookie ends with the browser; the server ends the session sooner
        PERMANENT_SESSION_LIFETIME=user_app.extensions["services"].rules.operator_session_lifetime,
    )
    admin.extensions["services"] = user_app.extensions["services"]
    admin.add_template_filter(beijing_time, "beijing")
    admin.add_template_filter(browser_name, "browser")
    admin.add_template_filter(duration, "duration")
    # The user app's hashed static names (error.html extends the user pages' base): looked up when a page renders,
    # since the user app builds them after mounting the console.
    admin.add_template_global(lambda path: "/static/" + user_app.extensions["asset_manifest"][path], "asset")
    admin.context_processor(page_settings)  # the same error page as the user app's: branding and limits
    init_security(admin, limited=[admin_api])
    init_operator_sessions(admin)
    init_request_context(admin)
    init_error_handlers(admin)
    admin.register_blueprint(admin_pages)
    admin.register_blueprint(admin_api)
    return admin


def mount_admin(user_app: Flask) -> None:
    admin = create_admin_app(user_app)
    user_app.extensions["console_app"] = admin  # for tests and tools that list its routes
    user_app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]  # Flask's documented way to wrap it
        user_app.wsgi_app, {PREFIX: admin}
    )

"""The Flask app: `flask --app entrypoints.web run` finds create_app here."""

from __future__ import annotations

from flask import Flask
from flask_compress import Compress

from adapters.logging import configure_logging
from adapters.sqlalchemy import migrate
from domain import ports
from entrypoints.bootstrap import bootstrap
from entrypoints.settings import instance_folder, load_settings
from entrypoints.sms_settings import load_sms_settings, refuse_console_unless_allowed
from entrypoints.web.admin import mount_admin
from entrypoints.web.api import api
from entrypoints.web.assets import init_assets
from entrypoints.web.auth import init_auth
from entrypoints.web.client_ip import FromTrustedProxies
from entrypoints.web.context import init_request_context
from entrypoints.web.errors import init_error_handlers
from entrypoints.web.health import health
from entrypoints.web.internal import internal
from entrypoints.web.json_input import BoundedJSONProvider
from entrypoints.web.openapi import openapi
from entrypoints.web.pages import pages
from entrypoints.web.security import init_security
from entrypoints.web.sms_receipts import sms_receipts


def create_app(
    config: dict | None = None,
    *,
    sms_sender: ports.SmsSender | None = None,
    captcha_renderer: ports.CaptchaRenderer | None = None,
) -> Flask:
    settings = load_settings(config)  # defaults, the environment, then `config` (entrypoints/settings.py)
    app = Flask(__name__, instance_path=str(instance_folder()), instance_relative_config=True)
    app.json = BoundedJSONProvider(app)
    app.config.update(settings)  # Flask's own keys, and what the blueprints read (SITE_NAME, HEADER_LINKS, ...)
    configure_logging(json=settings["LOG_JSON"])
    sms_settings = load_sms_settings(settings)  # a bad SMS setting stops the app here, naming it
    if sms_sender is None:  # tests and the benchmark bring their own
        refuse_console_unless_allowed(sms_settings)
    app.config["SMS_RECEIPT_TOKEN"] = sms_settings.receipt_token

    services = bootstrap(settings=settings, sms_sender=sms_sender, captcha_renderer=captcha_renderer)
    engine = services.engine
    assert engine is not None  # built from DATABASE_URL: the app passes no unit of work of its own
    if app.config["AUTO_MIGRATE"]:
        migrate.upgrade(engine)
    else:
        migrate.require_head(engine)  # an un-migrated database stops the app here, with the fix
    app.extensions["services"] = services

    mount_admin(app)  # the operator console at /admin: an app of its own (entrypoints/web/admin/__init__.py)

    if app.config["TRUSTED_PROXIES"]:
        # Only behind a proxy we run, and only from its addresses: otherwise X-Forwarded-For is whatever the client
        # says.
        hops, proxies = app.config["TRUSTED_PROXIES"], app.config["TRUSTED_PROXY_ADDRESSES"]
        app.wsgi_app = FromTrustedProxies(  # type: ignore[method-assign]  # Flask's documented way to wrap it
            app.wsgi_app, hops, proxies
        )

    init_security(app, limited=[api])
    init_auth(app)
    init_request_context(app)
    init_error_handlers(app)
    app.register_blueprint(pages)
    app.register_blueprint(api)
    app.register_blueprint(health)
    app.register_blueprint(openapi)
    app.register_blueprint(internal)  # API key, no per-IP limit: see entrypoints/web/internal.py
    app.register_blueprint(sms_receipts)  # the providers post there: no CSRF token, no per-IP limit
    app.extensions["csrf"].exempt(sms_receipts)
    init_assets(app)  # static files: hashed names, precompressed, a year's cache (WhiteNoise)
    Compress(app)  # pages and JSON: brotli or gzip, as the browser accepts
    return app

"""The peer the benchmark sets our sign-in beside: a minimal Flask-Security-Too app (tests/benchmarks/peer.py).

    gunicorn -c python:entrypoints.gunicorn_conf tests.benchmarks.peer_app:app

Flask-Security-Too's own models (fsqla_v3, through Flask-SQLAlchemy with its default engine) and its JSON
password sign-in, `POST /login` {"email", "password"}, with its defaults except:
  * argon2 with the parameters of our adapters.passwords.Argon2Hasher (time, memory, lanes, hash and salt
    length, argon2id), given to its passlib (libpass) context: peer.py checks the hashes' $argon2id$ prefixes.
    Its default pre-hash stays on: the password is HMAC-SHA512'd with SECURITY_PASSWORD_SALT before argon2.
  * CSRF off (WTF_CSRF_ENABLED=False), as in our harness: the load generator does not scrape tokens.

Built from the environment loadgen.Server sets, as harness.py is: BENCH_DATABASE_URL (tables created and users
seeded by peer.py beforehand), BENCH_READY_FILE, BENCH_SERVED_DIR.
"""

from __future__ import annotations

import os

from flask import Flask
from flask_security import Security, SQLAlchemyUserDatastore
from flask_security.models import fsqla_v3 as fsqla
from flask_sqlalchemy import SQLAlchemy

from adapters.passwords import Argon2Hasher

db = SQLAlchemy()
fsqla.FsModels.set_db_info(db)


class Role(db.Model, fsqla.FsRoleMixin):
    pass


class User(db.Model, fsqla.FsUserMixin):
    pass


def argon2_options() -> dict:
    """Our hasher's argon2 parameters, in passlib's CryptContext words."""
    ours = Argon2Hasher().hasher
    return {
        "argon2__type": "ID",
        "argon2__time_cost": ours.time_cost,
        "argon2__memory_cost": ours.memory_cost,
        "argon2__parallelism": ours.parallelism,
        "argon2__digest_size": ours.hash_len,
        "argon2__salt_size": ours.salt_len,
    }


def build(database_url: str) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY", "ab7662b2970b56d58fb85875a86c9635bab58e34"),
        SQLALCHEMY_DATABASE_URI=database_url,
        SECURITY_PASSWORD_SALT="benchmark-peer-password-salt",  # the HMAC key of its default pre-hash
        SECURITY_PASSWORD_HASH="argon2",
        SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS=argon2_options(),
        WTF_CSRF_ENABLED=False,
    )
    db.init_app(app)
    app.security = Security(app, SQLAlchemyUserDatastore(db, User, Role))
    # What loadgen.Server asks before loading, and replay.lua sends when a thread's share is spent.
    app.add_url_rule("/healthz", "healthz", lambda: "ok")
    return app


app = None
if "BENCH_DATABASE_URL" in os.environ:
    app = build(os.environ["BENCH_DATABASE_URL"])
    if os.environ.get("BENCH_SERVED_DIR"):
        # Imported only here: harness.py builds our app at import when BENCH_DATABASE_URL is set, so the variable
        # is moved out of its sight first (this worker serves the peer only).
        url = os.environ.pop("BENCH_DATABASE_URL")
        from tests.benchmarks.harness import ServedCounter

        os.environ["BENCH_DATABASE_URL"] = url
        app.wsgi_app = ServedCounter(app.wsgi_app, os.environ["BENCH_SERVED_DIR"])
    if os.environ.get("BENCH_READY_FILE"):
        with open(os.environ["BENCH_READY_FILE"], "a") as out:
            out.write(f"{os.getpid()}\n")

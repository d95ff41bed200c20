"""Production serving: `gunicorn -c python:entrypoints.gunicorn_conf`. Every value can be set from the environment."""

import os

wsgi_app = "entrypoints.web:create_app()"
bind = os.environ.get("BIND", "127.0.0.1:8000")
# Sign-in is argon2, CPU-bound: one synchronous worker per core keeps every core busy without oversubscribing.
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# Each worker builds its own engine and pool after the fork: connections are never shared across processes.
preload_app = False
accesslog = os.environ.get("GUNICORN_ACCESSLOG")  # off by default: the app logs its own events
errorlog = "-"
# Served by gunicorn means served for real: cookies travel over HTTPS only unless told otherwise
# (SESSION_COOKIE_SECURE=0 for a plain-HTTP trial on a private network).
raw_env = [f"SESSION_COOKIE_SECURE={os.environ.get('SESSION_COOKIE_SECURE', '1')}"]


def on_starting(server):
    # Tell the app how many processes serve it: per-process rate limits (memory://) are refused with several
    # (entrypoints/web/security.py). Set in the master before the fork, so every worker inherits it.
    os.environ["ACCOUNTS_WORKER_PROCESSES"] = str(server.cfg.workers)

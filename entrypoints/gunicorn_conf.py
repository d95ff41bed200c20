"""Production serving: `gunicorn -c python:entrypoints.gunicorn_conf`. Every value can be set from the environment."""

import os

wsgi_app = "entrypoints.web:create_app()"
bind = os.environ.get("BIND", "127.0.0.1:8000")
# Sign-in is argon2, CPU-bound: one worker per core keeps every core busy without oversubscribing (and the
# hasher runs one hash at a time per process). Each worker has threads, so that a request waiting on an SMS
# provider (300 ms, or up to SMS_TIMEOUT_SECONDS per provider) leaves pages, captchas and sign-ins to the others:
# gthread, chosen over sync and gevent by measurement (README "Performance").
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# Each worker builds its own engine and pool after the fork: connections are never shared across processes.
preload_app = False
accesslog = os.environ.get("GUNICORN_ACCESSLOG")  # off by default: the app logs its own events
errorlog = "-"
# Served by gunicorn means served for real: cookies travel over HTTPS only unless told otherwise
# (SESSION_COOKIE_SECURE=0 for a plain-HTTP trial on a private network).
raw_env = [f"SESSION_COOKIE_SECURE={os.environ.get('SESSION_COOKIE_SECURE', '1')}"]

# SMS: served by gunicorn means real users, so the console sender (live codes and full mobiles in the log) is
# refused at start unless the operator allows it for a staging box (README "SMS delivery").
raw_env.append(f"SMS_ALLOW_CONSOLE={os.environ.get('SMS_ALLOW_CONSOLE', '0')}")

def on_starting(server):
    # Tell the app how many processes serve it: per-process rate limits (memory://) are refused with several
    # (entrypoints/web/security.py). Set in the master before the fork, so every worker inherits it.
    os.environ["ACCOUNTS_WORKER_PROCESSES"] = str(server.cfg.workers)

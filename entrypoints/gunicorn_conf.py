"""Production serving: `gunicorn -c python:entrypoints.gunicorn_conf`. Every value can be set from the environment."""

import ctypes
import os

wsgi_app = "entrypoints.web:create_app()"
bind = os.environ.get("BIND", "127.0.0.1:8000")
# Sign-in is argon2, CPU-bound: one worker per core keeps every core busy without oversubscribing (and the
# hasher runs one hash at a time per process). Each worker has threads, so that a request waiting on an SMS
# provider (300 ms, or up to SMS_TIMEOUT_SECONDS per provider) leaves pages, captchas and sign-ins to the others:
# gthread, chosen over sync and gevent by measurement (docs/decisions/0004-gthread-workers.md).
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
# (SESSION_COOKIE_SECURE=0 for a plain-HTTP trial on a private network). The app does the same by itself in
# production (ACCOUNTS_ENV, entrypoints/settings.py), for servers started without this file.
raw_env = [f"SESSION_COOKIE_SECURE={os.environ.get('SESSION_COOKIE_SECURE', '1')}"]

# SMS: served by gunicorn means real users, so the console sender (live codes and full mobiles in the log) is
# refused at start unless the operator allows it for a staging box (docs/sms-providers.md).
raw_env.append(f"SMS_ALLOW_CONSOLE={os.environ.get('SMS_ALLOW_CONSOLE', '0')}")


def share_malloc_arenas(arenas: int = 1) -> None:
    """glibc gives each thread that allocates at once an arena of its own, up to 8 per core, and keeps freed memory
    in it. Every gthread thread that ran argon2 would then hold a 12 MiB block (the benchmark's workers grew by up
    to 31%; with 2 arenas, 12%). One arena shared by the threads reuses the same block (the hasher runs one hash at
    a time per process), without the page faults of returning it to the system after each hash; the GIL already
    serialises the threads' other allocations. Set in the master, before the fork; a no-op without glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    M_ARENA_MAX = -8  # malloc.h
    libc.mallopt(M_ARENA_MAX, int(os.environ.get("MALLOC_ARENA_MAX", arenas)))


def on_starting(server):
    share_malloc_arenas()
    # Tell the app how many processes serve it: per-process rate limits (memory://) are refused with several
    # (entrypoints/web/security.py). Set in the master before the fork, so every worker inherits it.
    os.environ["ACCOUNTS_WORKER_PROCESSES"] = str(server.cfg.workers)

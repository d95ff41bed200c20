"""In-process measurements the targets are relative to, taken in the same run as the load:
the argon2 hasher's own speed, the captcha renderer's own speed, PNG compression levels, and the number of
SQL round trips each endpoint makes."""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from adapters.captcha_image import ImageCaptchaRenderer
from adapters.passwords import Argon2Hasher

PASSWORD = "bench-Passw0rd-2026"
TEXTS = ["AC34", "XY79", "KMNP", "TUVW", "3469", "HJDE", "QRFG", "7Y4C"]


@dataclass
class HasherFigures:
    verify_median_ms: float
    verify_p99_ms: float
    verify_cpu_ms: float  # CPU time per verify in one quiet process (process_time)
    hash_median_ms: float
    samples: int


def measure_hasher(samples: int = 60) -> HasherFigures:
    hasher = Argon2Hasher()  # the adapter the app uses, with its (OWASP) parameters
    stored = hasher.hash(PASSWORD)
    hasher.verify(stored, PASSWORD)  # warm
    verify, hashing = [], []
    cpu_began = time.process_time()
    for _ in range(samples):
        start = time.perf_counter()
        assert hasher.verify(stored, PASSWORD)
        verify.append(time.perf_counter() - start)
    verify_cpu = (time.process_time() - cpu_began) / samples
    for _ in range(samples // 3):
        start = time.perf_counter()
        hasher.hash(PASSWORD)
        hashing.append(time.perf_counter() - start)
    verify.sort()
    return HasherFigures(
        verify_median_ms=statistics.median(verify) * 1000,
        verify_p99_ms=verify[min(len(verify) - 1, int(len(verify) * 0.99))] * 1000,
        verify_cpu_ms=verify_cpu * 1000,
        hash_median_ms=statistics.median(hashing) * 1000,
        samples=samples,
    )


def _verify_loop(stored: str, seconds: float, start, results) -> None:
    hasher = Argon2Hasher()
    start.wait()
    count, began, cpu_began = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - began < seconds:
        hasher.verify(stored, PASSWORD)
        count += 1
    results.put((count / (time.perf_counter() - began), (time.process_time() - cpu_began) / count))


@dataclass
class ParallelVerifies:
    per_second: float  # all processes together
    cpu_ms: float  # CPU time per verify, averaged over the processes: the yardstick for a worker's sign-in CPU


def parallel_verifies(processes: int, seconds: float = 2.0) -> ParallelVerifies:
    """argon2 verifies with `processes` processes verifying at once, as the workers do under load: their rate
    (memory-hard hashing need not scale with cores: caches and memory bandwidth are shared) and the CPU time
    each verify takes then, which is more than in a quiet process for the same reason."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    stored = Argon2Hasher().hash(PASSWORD)
    start, results = context.Barrier(processes), context.Queue()
    children = [context.Process(target=_verify_loop, args=(stored, seconds, start, results)) for _ in range(processes)]
    for child in children:
        child.start()
    figures = [results.get(timeout=seconds + 60) for _ in children]
    for child in children:
        child.join(timeout=10)
    return ParallelVerifies(sum(rate for rate, _ in figures), statistics.mean(cpu for _, cpu in figures) * 1000)


def renders_per_second(render, seconds: float = 3.0) -> float:
    render("WARM")
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        render(TEXTS[count % len(TEXTS)])
        count += 1
    return count / elapsed


def render_cpu_ms(render, images: int = 300) -> float:
    """CPU time per captcha image, one process: what a /get_captcha request spends in the renderer at best."""
    render("WARM")
    began = time.process_time()
    for i in range(images):
        render(TEXTS[i % len(TEXTS)])
    return (time.process_time() - began) / images * 1000


@dataclass
class CompressFigures:
    level: int
    mean_bytes: float
    encode_ms: float
    render_ms: float  # draw + encode: what one /get_captcha spends in the renderer


def measure_compress_levels(levels=(1, 6, 9), images: int = 200) -> tuple[float, list[CompressFigures]]:
    """Draw `images` captchas once, then encode each at every level: size and encode time per level."""
    renderer = ImageCaptchaRenderer()
    drawn, draw_times = [], []
    for i in range(images):
        start = time.perf_counter()
        drawn.append(renderer.generator.generate_image(TEXTS[i % len(TEXTS)]))
        draw_times.append(time.perf_counter() - start)
    draw_ms = statistics.mean(draw_times) * 1000
    figures = []
    for level in levels:
        sizes, times = [], []
        for image in drawn:
            out = io.BytesIO()
            start = time.perf_counter()
            image.save(out, format="PNG", compress_level=level)
            times.append(time.perf_counter() - start)
            sizes.append(out.tell())
        encode_ms = statistics.mean(times) * 1000
        figures.append(CompressFigures(level, statistics.mean(sizes), encode_ms, draw_ms + encode_ms))
    return draw_ms, figures


def seed_style_render_ms(samples: int = 40) -> float:
    """What the seed does per request: build ImageCaptcha() (fonts), draw 160x60, save PNG at the default level."""
    from captcha.image import ImageCaptcha
    from PIL import Image

    times = []
    for i in range(samples):
        start = time.perf_counter()
        image = Image.open(ImageCaptcha().generate(TEXTS[i % len(TEXTS)]))
        out = io.BytesIO()
        image.save(out, "png")
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


# --- SQL round trips per endpoint ---------------------------------------------------------------------


@dataclass
class RoundTrips:
    endpoint: str
    status: int
    statements: int  # cursor executions (each a round trip)
    transactions: int  # COMMIT/ROLLBACK (a round trip each, except on SQLite where it is a library call)
    checkouts: int  # connection checkouts from the pool: one pre-ping "SELECT 1" round trip each on servers
    sql: list[str]
    round_trips: int | None = (
        None  # PostgreSQL: protocol round trips (ReadyForQuery messages), BEGIN/COMMIT/ping included
    )


def count_round_trips(database_url: str) -> list[RoundTrips]:
    """One request of each kind through the Flask test client, in this process, counting what hits the database."""
    # The app logs its events to stdout; keep them out of the report.
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        return _count_round_trips(database_url)


def _count_round_trips(database_url: str) -> list[RoundTrips]:
    from sqlalchemy import event

    from adapters.sqlalchemy.engine import make_engine
    from adapters.sqlalchemy.migrate import upgrade
    from entrypoints.web import create_app
    from tests.benchmarks.harness import FileSmsSender, SolvableCaptchaRenderer

    upgrade(make_engine(database_url))
    sms_file = Path(tempfile.mkstemp(prefix="bench-sms-")[1])
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "6b2773afe56e8c20e826493ff3798e7340b67ce0",
            "AUTO_MIGRATE": False,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "LOG_JSON": True,
        },
        sms_sender=FileSmsSender(str(sms_file)),
        captcha_renderer=SolvableCaptchaRenderer(),
    )
    engine = app.extensions["services"].engine
    counts = {"statements": 0, "transactions": 0, "checkouts": 0}
    sql: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(conn, cursor, statement, parameters, context, executemany):
        counts["statements"] += 1
        sql.append(" ".join(statement.split())[:110])

    @event.listens_for(engine, "commit")
    def _commit(conn):
        counts["transactions"] += 1

    @event.listens_for(engine, "rollback")
    def _rollback(conn):
        counts["transactions"] += 1

    @event.listens_for(engine.pool, "checkout")
    def _checkout(*_):
        counts["checkouts"] += 1

    # On PostgreSQL, libpq's protocol trace of every pooled connection: one ReadyForQuery per round trip.
    trace = None
    if engine.dialect.name == "postgresql":
        from psycopg import pq

        trace = tempfile.NamedTemporaryFile("w+", prefix="bench-pqtrace-", delete=False)
        engine.dispose()  # connections made by the migration check were not traced

        @event.listens_for(engine.pool, "connect")
        def _traced(dbapi_connection, _record):
            dbapi_connection.pgconn.trace(trace.fileno())
            dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

    def ready_for_query() -> int:
        if trace is None:
            return 0
        import ctypes

        ctypes.CDLL(None).fflush(None)  # libpq writes the trace through a buffered C FILE
        with open(trace.name) as handle:
            return sum(1 for entry in handle if "\tReadyForQuery\t" in entry)

    client = app.test_client()
    mobile = "13" + str(uuid.uuid4().int)[:9]
    results: list[RoundTrips] = []

    def measured(name: str, call):
        for key in counts:
            counts[key] = 0
        sql.clear()
        before = ready_for_query()
        response = call()
        trips = ready_for_query() - before if trace is not None else None
        results.append(
            RoundTrips(
                name,
                response.status_code,
                counts["statements"],
                counts["transactions"],
                counts["checkouts"],
                list(sql),
                trips,
            )
        )
        return response

    def solved() -> tuple[str, str]:
        captcha_id = str(uuid.uuid4())
        answer = client.get(f"/get_captcha?captcha_uuid={captcha_id}", headers={"X-Bench-Captcha": "text"})
        return captcha_id, answer.get_data(as_text=True)

    def body(**fields):
        return {"json": fields}

    measured("GET /", lambda: client.get("/"))
    client.get(f"/get_captcha?captcha_uuid={uuid.uuid4()}")  # the pool holds a connection now, as in a warm worker
    measured("GET /get_captcha", lambda: client.get(f"/get_captcha?captcha_uuid={uuid.uuid4()}"))
    cid, text = solved()
    measured(
        "POST /api/send_register_sms",
        lambda: client.post("/api/send_register_sms", **body(mobile=mobile, captcha=text, captcha_uuid=cid)),
    )
    code = sms_file.read_text().split()[-1]
    measured(
        "POST /api/register",
        lambda: client.post(
            "/api/register",
            **body(
                nickname="bench",
                mobile=mobile,
                vercode=code,
                password=PASSWORD,
                confirmPassword=PASSWORD,
                agreement=True,
            ),
        ),
    )
    cid, text = solved()
    measured(
        "POST /api/login (success)",
        lambda: client.post(
            "/api/login", **body(mobile=mobile, password=PASSWORD, captcha=text, captcha_uuid=cid, remember=False)
        ),
    )
    measured("GET / (signed in)", lambda: client.get("/"))
    client.delete_cookie("session")
    cid, text = solved()
    measured(
        "POST /api/login (failure)",
        lambda: client.post(
            "/api/login", **body(mobile=mobile, password=PASSWORD + "x", captcha=text, captcha_uuid=cid, remember=False)
        ),
    )
    engine.dispose()
    sms_file.unlink()
    if trace is not None:
        trace.close()
        os.unlink(trace.name)
    return results

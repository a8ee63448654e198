"""What every request costs: a static file and the signed-in candidate pages.

    .venv/bin/python -m tools.bench_requests                  # SQLite, in a temporary folder
    DATABASE_URL=postgresql://… .venv/bin/python -m tools.bench_requests   # an EMPTY database
    .venv/bin/python -m tools.bench_requests --profile        # + where Mon compte's time goes

Through Flask's test client in this process (no network, no server: what is left is the
app's own work), against a bare Flask "hello" served the same way. For each page: the
median and p95 time of one request, requests per second, and the real database
connections opened (the driver's connect, not a pool checkout) over the run. The
candidate has CANDIDATURES candidatures to as many formations.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests"))

import peewee  # noqa: E402
from flask import Flask  # noqa: E402

from app import create_app  # noqa: E402
from ecandidat import db, workflow  # noqa: E402

CANDIDATURES = 20


class ConnectionCounter:
    """Counts the driver connections peewee opens (a pool's checkout of an idle
    connection does not reach these methods)."""

    def __init__(self):
        self.count = 0
        self._originals = {}

    def __enter__(self):
        for cls in (peewee.PostgresqlDatabase, peewee.SqliteDatabase):
            original = cls.__dict__["_connect"]
            self._originals[cls] = original

            def counting(database, _original=original):
                self.count += 1
                return _original(database)
            cls._connect = counting
        return self

    def __exit__(self, *exc):
        for cls, original in self._originals.items():
            cls._connect = original


def seed(app):
    """A validated candidate with CANDIDATURES candidatures; returns its account."""
    from ecandidat.models import CompteCandidat
    from ecandidat.security import hash_password
    from factories import complete_candidat, open_formation, pieces, question

    stamp = time.time_ns()
    compte = CompteCandidat.create(
        numero_dossier=f"R{stamp % 10**7:07d}", nom="BENCH", prenom="Léa",
        email=f"bench-{stamp}@example.org", password_hash=hash_password("x" * 12), valide=True)
    candidat = complete_candidat(compte)
    actor = workflow.Actor.candidat(candidat)
    for index in range(CANDIDATURES):
        formation = open_formation(code=f"BR{stamp % 10**4:04d}{index:02d}")
        pieces(formation)
        question(formation)
        workflow.candidater(actor, candidat, formation)
    return compte


def measure(client, url, runs, expect=200):
    for _ in range(10):  # warm-up: templates compiled, caches filled
        assert client.get(url).status_code == expect, url
    with ConnectionCounter() as connections:
        times = []
        start = time.perf_counter()
        for _ in range(runs):
            begin = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - begin)
            assert response.status_code == expect, (url, response.status_code)
        total = time.perf_counter() - start
    times.sort()
    return {"median_ms": statistics.median(times) * 1000,
            "p95_ms": times[int(len(times) * 0.95) - 1] * 1000,
            "per_s": runs / total, "connections": connections.count}


def static_url_in(html, filename):
    """The URL the page itself gives for a static file (fingerprinted or not)."""
    import re
    match = re.search(r'href="([^"]*' + re.escape(filename) + r'[^"]*)"', html)
    return match.group(1).replace("&amp;", "&") if match else "/static/" + filename


def profile_page(client, url):
    import cProfile
    import pstats
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(50):
        client.get(url)
    profiler.disable()
    print(f"\n--- cProfile of 50 × GET {url} ---")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="ecandidat-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "MAIL_SERVER": None,
                      "UPLOAD_FOLDER": os.path.join(folder, "uploads"),
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        with db.database.connection_context():
            db.upgrade()
            compte = seed(app)
    print(f"database: {url.split('@')[-1]}   candidatures of the candidate: {CANDIDATURES}")

    hello = Flask("hello")
    hello.add_url_rule("/", "hello", lambda: "hello")

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = compte.get_id()
        session["_fresh"] = True
    page = client.get("/mon-compte/").get_data(as_text=True)
    css = static_url_in(page, "css/ecandidat.css")

    rows = [("bare Flask hello", hello.test_client(), "/"),
            (f"static {css}", client, css),
            ("Mon compte", client, "/mon-compte/"),
            ("Candidatures list", client, "/candidatures/")]
    results = [(label, measure(c, u, args.runs)) for label, c, u in rows]
    hello_rate = results[0][1]["per_s"]
    print(f"{'request':58} {'median ms':>9} {'p95 ms':>8} {'req/s':>8} "
          f"{'% hello':>8} {'new conn.':>9}")
    for label, result in results:
        print(f"{label[:58]:58} {result['median_ms']:9.2f} {result['p95_ms']:8.2f} "
              f"{result['per_s']:8.0f} {100 * result['per_s'] / hello_rate:7.1f}% "
              f"{result['connections']:9d}")
    response = client.get(css)
    print(f"static Cache-Control: {response.headers.get('Cache-Control')!r}")
    if args.profile:
        profile_page(client, "/mon-compte/")
        profile_page(client, "/candidatures/")


if __name__ == "__main__":
    main()

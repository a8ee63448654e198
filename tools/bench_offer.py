"""The public "Offre de formation" page with 500 formations (issue 11 §1), through the
Flask test client: no network, no server, only what the application does per request.

    .venv/bin/python -m tools.bench_offer                 # SQLite, temporary files
    BENCH_DATABASE_URL=postgresql://…/empty_db .venv/bin/python -m tools.bench_offer

A PostgreSQL database given must be empty (the bench refuses one with tables of its
own application but without its marker table): it is emptied first.

Seeds 500 formations (10 centres, 5 types de diplôme, 20 commissions, a third closed
today), then reads each page READS times and prints the median and the 95th
percentile in ms, the size of the HTML and the SQL statements per request:
the whole offer (anonymous and signed in), a search, a revalidation with the ETag
of the previous response (when the page sends one) and the first read after a
formation was edited (the cache, when there is one, is rebuilt).
"""
import datetime
import logging
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import create_app  # noqa: E402
from ecandidat import clock, db  # noqa: E402
from ecandidat.models import (Centre, Commission, CompteCandidat, Formation,  # noqa: E402
                              TypeDiplome)

FORMATIONS = 500
READS = 60
BENCH_TABLES = {"bench_marker"}
OFFRE = "/offre-de-formation/"


class QueryCounter(logging.Handler):
    """Counts the statements peewee logs (one DEBUG record each)."""
    count = 0

    def emit(self, record):
        self.count += 1


def seed():
    today, day = clock.today(), datetime.timedelta(days=1)
    types = [TypeDiplome.create(code=f"T{n}", libelle=f"Type de diplôme {n}", ordre=n)
             for n in range(5)]
    centres = [Centre.create(code=f"C{n}", libelle=f"UFR numéro {n} — Sciences et Société")
               for n in range(10)]
    commissions = [Commission.create(code=f"COM{n}", libelle=f"Commission {n}",
                                     centre=centres[n % 10]) for n in range(20)]
    rows = []
    for number in range(FORMATIONS):
        is_open = number % 3 != 0
        debut = today - (5 if is_open else 60) * day
        fin = today + (40 if is_open else -30) * day
        rows.append(dict(code=f"F{number:04d}",
                         libelle=f"Master {number % 2 + 1} Mention {number} parcours Général",
                         type_diplome=types[number % 5], commission=commissions[number % 20],
                         mots_cles=f"mot{number % 7}, thème{number % 11}",
                         demat=number % 4 != 0, date_debut_depot=debut, date_fin_depot=fin,
                         date_retour=fin + 10 * day))
    Formation.insert_many(rows).execute()
    return CompteCandidat.create(numero_dossier="BENCH001", nom="BENCH", prenom="Léa",
                                 email="bench@example.org", valide=True)


def read(client, url, headers=None, reads=READS, expected=200):
    """(median ms, p95 ms, bytes, statements per request, last response)."""
    counter, logger = QueryCounter(), logging.getLogger("peewee")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(counter)
    times = []
    try:
        for _ in range(reads):
            start = time.perf_counter()
            response = client.get(url, headers=headers or {})
            body = response.get_data()
            times.append(time.perf_counter() - start)
            assert response.status_code == expected, (url, response.status_code)
    finally:
        logger.removeHandler(counter)
    times.sort()
    return (statistics.median(times) * 1000, times[int(len(times) * 0.95) - 1] * 1000,
            len(body), counter.count / reads, response)


def after_an_edit(app, client, edits=15):
    """The first read after a formation was edited, `edits` times (a cache rebuild each)."""
    times = []
    for number in range(edits):
        with app.app_context(), db.database.connection_context():
            Formation.update(libelle=f"Master édité {number}").where(
                Formation.code == "F0007").execute()
        start = time.perf_counter()
        response = client.get(OFFRE)
        response.get_data()
        times.append(time.perf_counter() - start)
        assert f"Master édité {number}" in response.get_data(as_text=True)
    return statistics.median(times) * 1000


def main():
    folder = tempfile.mkdtemp(prefix="ecandidat-bench-offer-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "MAIL_SERVER": None,
                      "UPLOAD_FOLDER": os.path.join(folder, "uploads"),
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        with db.database.connection_context():
            if url.startswith("postgres"):
                existing = set(db.database.get_tables())
                if existing and not BENCH_TABLES & existing:
                    raise SystemExit(f"{url.split('@')[-1]}: not an empty database, refused")
                db.database.execute_sql("DROP SCHEMA public CASCADE")
                db.database.execute_sql("CREATE SCHEMA public")
        db.upgrade()
        with db.database.connection_context():
            db.database.execute_sql("CREATE TABLE IF NOT EXISTS bench_marker (id integer)")
            compte = seed()
            compte_id = compte.get_id()

    anonymous, signed_in = app.test_client(), app.test_client()
    with signed_in.session_transaction() as session:
        session["_user_id"], session["_fresh"] = compte_id, True
    results = {}
    results["offre, anonyme"] = read(anonymous, OFFRE)
    results["offre, connecté"] = read(signed_in, OFFRE)
    results["recherche « mention 1 »"] = read(anonymous, OFFRE + "?q=mention+1")
    etag = results["offre, anonyme"][4].headers.get("ETag")
    if etag:
        results["revalidation (If-None-Match) → 304"] = read(
            anonymous, OFFRE, headers={"If-None-Match": etag}, expected=304)
    edited = after_an_edit(app, anonymous)

    print(f"database: {url.split('@')[-1]}, {FORMATIONS} formations, {READS} reads each")
    print(f"{'page':40} {'median':>9} {'p95':>9} {'HTML':>9} {'SQL/req':>8}")
    for label, (median, p95, size, queries, _) in results.items():
        print(f"{label:40} {median:7.2f}ms {p95:7.2f}ms {size / 1024:7.1f}KB {queries:8.1f}")
    print(f"{'first read after a formation edit':40} {edited:7.2f}ms")


if __name__ == "__main__":
    main()

"""The console's Candidatures list at 1,000 and at 100,000 candidatures (issue 8 §3).

    .venv/bin/python -m tools.bench_console                  # SQLite, temporary files
    BENCH_DATABASE_URL=postgresql://…/empty_db .venv/bin/python -m tools.bench_console

BENCH_SIZES=1000,20000 (comma-separated, two sizes) measures other sizes than
1,000 and 100,000 (to iterate faster).

A PostgreSQL database given must be empty (the bench refuses one with tables): it
is emptied again before the second size.

For each size, a fresh database gets 20 formations in 2 centres and N transmitted
candidatures (bulk inserts, each with an avis and a tag); then the list is read
through the application (Flask test client, as a browser would, signed in) by an
administrator, a gestionnaire and a membre de commission: default page, sorted by
nom, searched, filtered, and the last page. Prints the median of 5 reads in ms.

The searches: « recherche » looks for one candidate's nom (NOM120-BANC: the names
end with "-BANC", so no name holds another one and the word matches one
candidature at every size), « recherche n° dossier » for one numéro de dossier
(B0000120, as selective), « recherche large » for NOM12, a part of 1 % of the names
(11 at 1,000, 1,111 at 100,000: the list counts a hundred times more rows).
"""
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import create_app  # noqa: E402
from ecandidat import clock, db, permissions  # noqa: E402
from ecandidat.models import (Avis, Candidat, Candidature, CandidatureTag, Centre,  # noqa: E402
                              Commission, CompteCandidat, Formation, Tag, TypeDiplome, User)
from ecandidat.users import create_user  # noqa: E402

SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "1000,100000").split(","))
# A database whose only tables are the bench's own (a previous run) may be emptied.
BENCH_TABLES = {"bench_marker"}
ROW = re.compile(r'details/\?id=(\d+)"')  # a row of the list (its "Ouvrir" link)
PASSWORD = "une phrase de passe pour le banc"
CHUNK = 5_000
# A candidature of formation F00 (commission COM00, the membre's): every role finds it.
FOUND = 120
BROAD_SEARCH = "recherche large"
SEARCHES = {"recherche": f"NOM{FOUND}-BANC", "recherche n° dossier": f"B{FOUND:07d}",
            BROAD_SEARCH: "NOM12"}


def nom(n):
    """The seeded names: NOM0-BANC, NOM1-BANC…, none a part of another."""
    return f"NOM{n}-BANC"


def seed(count):
    today = clock.today()
    diplome = TypeDiplome.create(code="MASTER", libelle="MASTER")
    formations = []
    for c in range(2):
        centre = Centre.create(code=f"C{c}", libelle=f"Centre {c}")
        for f in range(10):
            commission = Commission.create(code=f"COM{c}{f}", libelle=f"Commission {c}{f}",
                                           centre=centre)
            formations.append(Formation.create(
                code=f"F{c}{f}", libelle=f"Formation {c}{f}", type_diplome=diplome,
                commission=commission, date_debut_depot=today, date_fin_depot=today,
                date_retour=today).id)
    tag = Tag.create(libelle="Bulk")
    now = clock.now()
    for start in range(0, count, CHUNK):
        numbers = range(start, min(count, start + CHUNK))
        with db.database.atomic():
            CompteCandidat.insert_many([
                dict(numero_dossier=f"B{n:07d}", nom=nom(n), prenom="Bulk",
                     email=f"bulk{n}@example.org", valide=True) for n in numbers]).execute()
            comptes = [c.id for c in CompteCandidat.select(CompteCandidat.id).where(
                CompteCandidat.numero_dossier.in_([f"B{n:07d}" for n in numbers]))]
            Candidat.insert_many([dict(compte=compte, nom_patronymique=nom(n), prenom="Bulk")
                                  for n, compte in zip(numbers, comptes)]).execute()
            candidats = [c.id for c in Candidat.select(Candidat.id).where(
                Candidat.compte.in_(comptes))]
            Candidature.insert_many([
                dict(candidat=candidat, formation=formations[i % len(formations)],
                     statut=("RE", "CO", "IN")[i % 3], date_transmission=now,
                     date_reception=now) for i, candidat in enumerate(candidats)]).execute()
            ids = [c.id for c in Candidature.select(Candidature.id).where(
                Candidature.candidat.in_(candidats))]
            Avis.insert_many([dict(candidature=i, type_avis="LA") for i in ids]).execute()
            CandidatureTag.insert_many([dict(candidature=i, tag=tag.id)
                                        for i in ids[::10]]).execute()
    create_user("admin@bench.example.org", "admin", password=PASSWORD)
    create_user("gestion@bench.example.org", "gestionnaire", scope="C0", password=PASSWORD)
    create_user("membre@bench.example.org", "commission", scope="COM00", password=PASSWORD)


def statut_filter(app):
    """The URL argument of the list's "Statut du dossier" filter."""
    view = next(v for v in app.extensions["admin"][0]._views
                if getattr(v, "endpoint", None) == "candidature")
    for index, flt in enumerate(view._filters):
        if str(flt.name) == "Statut du dossier":
            return f"flt0_{view.get_filter_arg(index, flt)}"
    raise LookupError("no Statut du dossier filter")


def median_ms(client, url, reads=5):
    times = []
    for _ in range(reads):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times) * 1000


def measure(count):
    folder = tempfile.mkdtemp(prefix="ecandidat-bench-console-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "MAIL_SERVER": None,
                      "UPLOAD_FOLDER": os.path.join(folder, "uploads"), "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        if url.startswith("postgres"):
            with db.database.connection_context():
                existing = set(db.database.get_tables())
                if existing and not BENCH_TABLES & existing:
                    raise SystemExit(f"{url.split('@')[-1]}: not an empty database, refused")
                db.database.execute_sql("DROP SCHEMA public CASCADE")
                db.database.execute_sql("CREATE SCHEMA public")
        db.upgrade()
        with db.database.connection_context():
            db.database.execute_sql("CREATE TABLE IF NOT EXISTS bench_marker (id integer)")
            started = time.perf_counter()
            seed(count)
            seeded = time.perf_counter() - started
            if url.startswith("postgres"):
                # the statistics autovacuum gathers on a table that has lived; measured
                # right after a bulk insert, the planner would guess without them
                db.database.execute_sql("ANALYZE")
            visible = {email: permissions.visible_candidatures(permissions.scope_of(
                User.get(User.email == f"{email}@bench.example.org")),
                Candidature.select()).count() for email in ("admin", "gestion", "membre")}
    list_url = "/admin/candidature/"
    pages = {"page 1": list_url, "tri par nom": f"{list_url}?sort=1",
             **{label: f"{list_url}?search={term}" for label, term in SEARCHES.items()},
             "filtre statut": f"{list_url}?{statut_filter(app)}=CO"}
    results = {}
    for email in ("admin", "gestion", "membre"):
        # the user's own last page
        pages["dernière page"] = f"{list_url}?page={max(0, (visible[email] - 1) // 50)}"
        client = app.test_client()
        response = client.post("/admin/login", data={"email": f"{email}@bench.example.org",
                                                     "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        for label, page in pages.items():
            results[(email, label)] = median_ms(client, page)
        for label in ("recherche", "recherche n° dossier"):  # the selective ones: one row
            found = set(ROW.findall(client.get(pages[label]).get_data(as_text=True)))
            assert len(found) == 1, (email, label, count, found)
    # the SQLite file (100 MB at 100,000) and the uploads folder, measured
    shutil.rmtree(folder, ignore_errors=True)
    return seeded, results


def main():
    measured = {count: measure(count) for count in SIZES}
    print(f"database: {(os.environ.get('BENCH_DATABASE_URL') or 'sqlite').split('@')[-1]}")
    for count, (seeded, _) in measured.items():
        print(f"seeded {count:>7} candidatures in {seeded:6.1f} s")
    small, large = (measured[size][1] for size in SIZES)
    print("searched: " + ", ".join(f"« {label} » {term}" for label, term in SEARCHES.items()))
    print(f"{'role':8} {'page':20} {SIZES[0]:>9} {SIZES[1]:>9}   ratio")
    for key in small:
        print(f"{key[0]:8} {key[1]:20} {small[key]:7.1f}ms {large[key]:7.1f}ms "
              f"{large[key] / small[key]:6.2f}")


if __name__ == "__main__":
    main()

"""Timings behind the figures quoted in the README and the issue notes.

    .venv/bin/python -m tools.bench                 # SQLite, in a temporary folder
    DATABASE_URL=postgresql://… .venv/bin/python -m tools.bench   # an EMPTY PostgreSQL db

Measures: `referential load` on an empty schema and again (idempotent reload), and the
dossier PDF of a candidature with three uploaded pieces (median of several renders).
"""
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import create_app  # noqa: E402
from ecandidat import clock, db, workflow  # noqa: E402
from ecandidat.models import CompteCandidat, Formation  # noqa: E402
from ecandidat.pdf import dossier_pdf  # noqa: E402
from ecandidat.referential.loader import load_referential  # noqa: E402


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main():
    folder = tempfile.mkdtemp(prefix="ecandidat-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "MAIL_SERVER": None,
                      "UPLOAD_FOLDER": os.path.join(folder, "uploads"), "TESTING": True})
    with app.app_context(), app.test_request_context():
        db.upgrade()
        print(f"database: {url.split('@')[-1]}")
        for label in ("referential load (empty)", "referential load (again)"):
            seconds, _ = timed(load_referential)
            print(f"{label:32} {seconds:6.2f} s")

        sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "tests"))
        from factories import (PDF_BYTES, PNG_BYTES, complete_candidat, open_formation,
                               pieces)
        from ecandidat.security import hash_password
        formation = Formation.get_or_none(Formation.code == "BENCH") or open_formation("BENCH")
        asked = pieces(formation)
        compte = CompteCandidat.create(
            numero_dossier=f"B{clock.now():%H%M%S}X", nom="BENCH", prenom="Léa",
            email=f"bench-{time.time_ns()}@example.org", password_hash=hash_password("x" * 12),
            valide=True)
        candidat = complete_candidat(compte)
        actor = workflow.Actor.candidat(candidat)
        candidature = workflow.candidater(actor, candidat, formation)
        workflow.deposer_piece(actor, candidature, asked["lettre"], PDF_BYTES, "lettre.pdf")
        workflow.deposer_piece(actor, candidature, asked["identite"], PNG_BYTES, "identite.png")
        workflow.deposer_piece(actor, candidature, asked["handicap"], PDF_BYTES,
                               "amenagement.pdf")
        runs = [timed(lambda: dossier_pdf(candidature))[0] for _ in range(5)]
        print(f"{'dossier PDF (3 pieces), median':32} {statistics.median(runs):6.2f} s")


if __name__ == "__main__":
    main()

"""Time `flask invariants` on a database of N transmitted candidatures (default 100,000)
with their pieces and files, and count its SQL statements.

    python -m tools.measure_invariants DATABASE_URL FOLDER [N]

DATABASE_URL must name an empty scratch database (its schema is created here, its
rows added): e.g. sqlite:////tmp/inv.sqlite3 or postgresql://…/ec_scratch; FOLDER
receives the files (empty, one per stored name, dated yesterday). N = 0 only runs
the checks on what an earlier run built: the peak memory is then the checks' own."""
import datetime
import logging
import os
import resource
import sys
import time


def main(url, folder, count):
    from peewee import fn

    from app import create_app
    from ecandidat import clock, db, invariants, workflow
    from ecandidat.demo import create_demo
    from ecandidat.models import (Candidat, Candidature, CompteCandidat, Formation,
                                  PieceCandidat)

    os.makedirs(folder, exist_ok=True)
    app = create_app({"DATABASE_URL": url, "UPLOAD_FOLDER": folder, "SECRET_KEY": "measure",
                      "TESTING": True, "MAIL_SERVER": None})
    with app.app_context(), db.database.connection_context():
        db.upgrade()
        if count:
            create_demo()
        formations = [f for f in Formation.select() if f.demat]
        asked = {f.id: workflow.pieces_asked(f) for f in formations}
        now = clock.now()
        started = time.perf_counter()
        names = []
        first = {model: (model.select(fn.MAX(model.id)).scalar() or 0) + 1
                 for model in (CompteCandidat, Candidat, Candidature)}
        for start in range(0, count, 1000):
            numbers = range(start, min(start + 1000, count))
            comptes = [dict(id=first[CompteCandidat] + n, numero_dossier=f"M{n:07d}",
                            nom="X", prenom="Y", email=f"m{n}@example.org",
                            password_hash="-", valide=True) for n in numbers]
            candidats = [dict(id=first[Candidat] + n, compte=first[CompteCandidat] + n,
                              nom_patronymique="X", prenom="Y") for n in numbers]
            candidatures, rows = [], []
            for n in numbers:
                candidat_id, candidature_id = first[Candidat] + n, first[Candidature] + n
                formation = formations[n % len(formations)]
                candidatures.append(dict(id=candidature_id, candidat=candidat_id,
                                         formation=formation.id, statut="RE",
                                         date_transmission=now))
                for piece in asked[formation.id]:
                    if piece.conditionnelle:
                        rows.append(dict(candidat=candidat_id, candidature=candidature_id,
                                         piece=piece.id, statut="NC", fichier=None))
                        continue
                    name = f"{os.urandom(16).hex()}.pdf"
                    names.append(name)
                    rows.append(dict(candidat=candidat_id, candidature=candidature_id,
                                     piece=piece.id, statut="TR", fichier=name))
                    if piece.partagee:  # the shared row the copy was made from
                        rows.append(dict(candidat=candidat_id, candidature=None,
                                         piece=piece.id, statut="TR", fichier=name))
            with db.database.atomic():
                for model, values in ((CompteCandidat, comptes), (Candidat, candidats),
                                      (Candidature, candidatures), (PieceCandidat, rows)):
                    for batch in range(0, len(values), 5000):  # PostgreSQL: 65,535 parameters
                        model.insert_many(values[batch:batch + 5000]).execute()
        for name in names:
            open(os.path.join(folder, name), "wb").close()
        old = time.time() - 86400
        for name in names:  # past any grace period
            os.utime(os.path.join(folder, name), (old, old))
        if count:  # the planner's statistics, as autovacuum would have them by now
            db.database.execute_sql("ANALYZE")
        print(f"built {count} candidatures, {PieceCandidat.select().count()} pieces, "
              f"{len(names)} files in {time.perf_counter() - started:.0f} s")

        statements = []
        handler = logging.Handler()
        handler.emit = statements.append
        logger = logging.getLogger("peewee")
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        logger.addHandler(handler)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        found = list(invariants.find_violations(folder, datetime.timedelta(0)))
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"invariants: {len(found)} found, {elapsed:.1f} s, {len(statements)} SQL "
              f"statements, peak RSS +{(after - before) / 1024:.0f} MB "
              f"(peak {after / 1024:.0f} MB)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 100_000)

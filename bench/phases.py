"""The bench's database-side phases, each run by bench/run.py in its own process
(`python -m bench.phases NAME ARGS…`, configured like the app by DATABASE_URL and
UPLOAD_FOLDER) so that its peak memory is its own. Each prints one JSON line.

    pick N          N volume candidates with a draft that lacks only its lettre de
                    motivation, and one candidate with three live candidatures
    verify FILE     after the 200 concurrent candidates: nothing lost (see verify())
    xlsx ROWS       the console's XLSX export of ROWS candidatures, every column
    pdf PIECES      the dossier PDF of a candidature with PIECES scanned pieces
    console A B     tools.bench_console's Candidatures list at A and B candidatures
"""
import hashlib
import io
import json
import os
import random
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _status_mb(field):
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    raise LookupError(field)


def start_measure():
    """The process's resident memory now, the peak then restarted from it (Linux:
    writing 5 to clear_refs resets VmHWM), so that peak_rss_mb() is the measured
    step's own peak."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return _status_mb("VmRSS")
    except OSError:  # not Linux: the peak since the start of the process
        return peak_rss_mb()


def peak_rss_mb():
    try:
        return _status_mb("VmHWM")
    except (OSError, LookupError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def app_context():
    from app import create_app

    app = create_app({"MAIL_SERVER": None})
    return app


def pick(count):
    from peewee import fn

    from ecandidat import db
    from ecandidat.demo import VOLUME_DOMAIN
    from ecandidat.models import (Candidat, Candidature, CompteCandidat, PieceCandidat,
                                  PieceJustificative)

    app = app_context()
    with app.app_context(), db.database.connection_context():
        lettre = PieceJustificative.get(PieceJustificative.code == "LM").id
        live = Candidature.date_annulation.is_null()
        drafts = (Candidature.select(Candidature.id, CompteCandidat.email)
                  .join(Candidat).join(CompteCandidat)
                  .where(CompteCandidat.email.endswith("@" + VOLUME_DOMAIN),
                         Candidature.statut == "AT", live,
                         ~fn.EXISTS(PieceCandidat.select().where(
                             PieceCandidat.candidature == Candidature.id,
                             PieceCandidat.piece == lettre)))
                  .order_by(Candidature.id).tuples())
        chosen, seen = [], set()
        for candidature_id, email in drafts:
            if email not in seen:
                seen.add(email)
                chosen.append({"candidature": candidature_id, "email": email})
            if len(chosen) == count:
                break
        busiest = (CompteCandidat.select(CompteCandidat.email)
                   .join(Candidat).join(Candidature)
                   .where(CompteCandidat.email.endswith("@" + VOLUME_DOMAIN), live,
                          CompteCandidat.email.not_in(seen or {""}))
                   .group_by(CompteCandidat.email)
                   .having(fn.COUNT(Candidature.id) >= 3)
                   .order_by(CompteCandidat.email).limit(1).scalar())
        counts = {"candidatures": Candidature.select().count(),
                  "formations": Candidature.select(fn.COUNT(fn.DISTINCT(
                      Candidature.formation))).scalar()}
    return {"lettre": lettre, "candidates": chosen, "busiest": busiest, "counts": counts}


def verify(path):
    """Every candidate's upload and transmission is there: the candidature is
    Réceptionné with its transmission date, its lettre de motivation row refers to a
    file present in the upload folder with the very bytes sent, and the audit trail
    holds the deposit and the transmission, the outbox the STATUT_RE mail. Then the
    whole upload folder against every row referring to a file."""
    from ecandidat import db
    from ecandidat.models import (AuditLog, Candidature, OutboxMail, PieceCandidat,
                                  PieceJustificative)
    from ecandidat.storage import upload_folder

    import datetime

    with open(path) as handle:
        sent = json.load(handle)
    since = datetime.datetime.fromisoformat(sent["since"])
    sent = sent["runs"]
    app = app_context()
    problems, counts = [], dict.fromkeys(
        ("checked", "transmitted", "files", "audit_deposits", "audit_transmissions",
         "mails"), 0)
    with app.app_context(), db.database.connection_context():
        lettre = PieceJustificative.get(PieceJustificative.code == "LM").id
        folder = upload_folder()
        for item in sent:
            counts["checked"] += 1
            candidature = Candidature.get_by_id(item["candidature"])
            who = f"{item['email']} (candidature {candidature.id})"
            if candidature.statut == "RE" and candidature.date_transmission is not None:
                counts["transmitted"] += 1
            else:
                problems.append(f"{who}: statut {candidature.statut}, not transmitted")
            row = PieceCandidat.get_or_none(PieceCandidat.candidature == candidature.id,
                                            PieceCandidat.piece == lettre)
            if row is None or not row.fichier:
                problems.append(f"{who}: no lettre de motivation row")
            else:
                try:
                    with open(os.path.join(folder, row.fichier), "rb") as stored:
                        digest = hashlib.sha256(stored.read()).hexdigest()
                except FileNotFoundError:
                    digest = None
                if digest == item["sha256"] and row.taille == item["size"]:
                    counts["files"] += 1
                else:
                    problems.append(f"{who}: stored file {row.fichier} missing or different")
                if AuditLog.select().where(AuditLog.action == "deposer_piece",
                                           AuditLog.table == "piece_candidat",
                                           AuditLog.record_id == row.id).exists():
                    counts["audit_deposits"] += 1
                else:
                    problems.append(f"{who}: no audit row for the deposit")
            if AuditLog.select().where(AuditLog.action == "transmettre",
                                       AuditLog.table == "candidature",
                                       AuditLog.record_id == candidature.id).count() == 1:
                counts["audit_transmissions"] += 1
            else:
                problems.append(f"{who}: not one audit row for the transmission")
            # (the volume's other candidatures of the candidate have their own, older)
            if OutboxMail.select().where(OutboxMail.code == "STATUT_RE",
                                         OutboxMail.destinataire == item["email"],
                                         OutboxMail.created_at >= since).count() == 1:
                counts["mails"] += 1
            else:
                problems.append(f"{who}: not one STATUT_RE mail in the outbox")
        referenced = {name for (name,) in PieceCandidat.select(PieceCandidat.fichier)
                      .where(PieceCandidat.fichier.is_null(False)).distinct().tuples()}
        present = {name for name in os.listdir(folder) if not name.startswith(".")}
        # Other kinds of stored files (a commission's signature, stored dossiers…) are
        # the invariants command's business; pieces are what this run wrote.
        counts["referenced_absent"] = len(referenced - present)
        counts["files_in_folder"] = len(present)
        counts["piece_files_referenced"] = len(referenced)
    return {"counts": counts, "problems": problems[:20], "problem_count": len(problems),
            "problem_emails": sorted({problem.split(" ", 1)[0] for problem in problems})}


def xlsx(rows):
    from ecandidat import db, exports, permissions
    from ecandidat.demo import DEMO_USERS
    from ecandidat.models import Candidature, User

    app = app_context()
    with app.app_context(), app.test_request_context(), db.database.connection_context():
        scope = permissions.scope_of(User.get(User.email == DEMO_USERS[0][0]))
        ids = [i for (i,) in Candidature.select(Candidature.id)
               .order_by(Candidature.id).limit(rows).tuples()]
        query = permissions.visible_candidatures(
            scope, Candidature.select().where(Candidature.id.in_(ids)).order_by(Candidature.id))
        columns = list(exports.COLUMNS)
        before = start_measure()
        started = time.perf_counter()
        size = 0
        for chunk in exports.xlsx_chunks(columns, exports.candidature_rows(scope, query, columns),
                                         "Candidatures"):
            size += len(chunk)
        seconds = time.perf_counter() - started
    return {"rows": len(ids), "columns": len(columns), "seconds": seconds, "bytes": size,
            "rss_before_mb": before, "rss_peak_mb": peak_rss_mb()}


def scanned_page(rng, number):
    """A JPEG like a scanned A4 page at 150 dpi: paper grain, lines of text, a stamp."""
    from PIL import Image, ImageDraw, ImageFilter

    width, height = 1240, 1754
    noise = Image.effect_noise((width, height), 18).point(lambda v: 200 + v // 5)
    page = noise.convert("RGB")
    draw = ImageDraw.Draw(page)
    for line in range(40):
        y = 150 + line * 38
        x = 120
        while x < width - 160:
            word = rng.randint(20, 110)
            draw.rectangle((x, y, x + word, y + 14), fill=(40, 40, 50))
            x += word + rng.randint(12, 24)
    draw.ellipse((850, 1450, 1100, 1700), outline=(30, 60, 160), width=8)
    draw.text((140, 80), f"Pièce numérisée n°{number}", fill=(0, 0, 0))
    page = page.filter(ImageFilter.GaussianBlur(0.6))
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def pdf(count):
    from ecandidat import db, workflow
    from ecandidat.demo import _candidat, _places, formation_dates
    from ecandidat.models import (Commission, Formation, PieceJustificative, TypeDiplome)
    from ecandidat.security import hash_password

    rng = random.Random(20)
    app = app_context()
    with app.app_context(), app.test_request_context(), db.database.connection_context():
        import ecandidat.pdf as pdf_module

        asked_everywhere = PieceJustificative.select().where(
            PieceJustificative.centre.is_null(), PieceJustificative.formation.is_null(),
            PieceJustificative.actif).count()
        with db.database.atomic():
            formation = Formation.create(
                code="BENCHPDF", libelle="Formation du banc (dossier PDF)",
                type_diplome=TypeDiplome.select().first(),
                commission=Commission.select().order_by(Commission.id).first(), demat=True,
                **formation_dates(__import__("ecandidat.clock", fromlist=["x"]).today()))
            for n in range(max(0, count - asked_everywhere)):
                PieceJustificative.create(code=f"BENCHPDF{n}", libelle=f"Pièce du banc n°{n + 1}",
                                          formation=formation, ordre=100 + n)
            candidat = _candidat("dossier.pdf@bench.example.org", "Mme", "BANC", "Léa",
                                 __import__("datetime").date(2001, 1, 1),
                                 hash_password("x" * 16), _places())
        actor = workflow.Actor.candidat(candidat)
        candidature = workflow.candidater(actor, candidat, formation)
        uploaded = 0
        for number, (piece, _row) in enumerate(workflow.piece_rows(candidature), start=1):
            if uploaded == count:
                break
            workflow.deposer_piece(actor, candidature, piece, scanned_page(rng, number),
                                   f"scan-{number}.jpg")
            uploaded += 1
        build = getattr(pdf_module, "dossier_pdf", None)
        if build is None:
            return {"skipped": "ecandidat.pdf.dossier_pdf is gone"}
        before = start_measure()
        started = time.perf_counter()
        data = build(candidature)
        seconds = time.perf_counter() - started
        pages = len(__import__("pypdf").PdfReader(io.BytesIO(data)).pages)
    return {"pieces": uploaded, "seconds": seconds, "bytes": len(data), "pages": pages,
            "rss_before_mb": before, "rss_peak_mb": peak_rss_mb()}


def console(small, large):
    from tools import bench_console

    measured = {}
    for size in (small, large):
        seeded, results = bench_console.measure(size)
        measured[size] = (seeded, results)
    rows = []
    for key, small_ms in measured[small][1].items():
        large_ms = measured[large][1][key]
        rows.append({"role": key[0], "page": key[1], "small_ms": small_ms,
                     "large_ms": large_ms, "ratio": large_ms / small_ms,
                     "broad": key[1] == bench_console.BROAD_SEARCH})
    return {"small": small, "large": large, "rows": rows,
            "seeded_s": {str(size): measured[size][0] for size in measured}}


PHASES = {"pick": lambda n: pick(int(n)), "verify": verify, "xlsx": lambda n: xlsx(int(n)),
          "pdf": lambda n: pdf(int(n)), "console": lambda a, b: console(int(a), int(b))}


if __name__ == "__main__":
    import logging

    result = PHASES[sys.argv[1]](*sys.argv[2:])
    logging.shutdown()
    print("BENCH_JSON " + json.dumps(result, default=str))

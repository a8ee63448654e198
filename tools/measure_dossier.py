"""Time and peak memory of serving the dossier PDF of a candidature with 20 scanned
pieces: rendered in the request (the draft path, which is what every download did
before the stored dossier) against served from the stored file, and what building
it costs the `dossiers` job (ecandidat.dossiers).

    .venv/bin/python -m tools.measure_dossier            # SQLite, in a temporary folder
    DATABASE_URL=postgresql://… .venv/bin/python -m tools.measure_dossier   # an EMPTY db

Each measure runs in a fresh subprocess: the app is created, WeasyPrint imported and a
page served first; the peak resident memory (VmHWM) is reset, the download is timed
(median of REPEAT), then its peak over the start and the resident memory kept
afterwards are read."""
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

PIECES = 20
REPEAT = 3


def make_app(url, folder):
    from app import create_app
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "measure", "MAIL_SERVER": None,
                       "UPLOAD_FOLDER": os.path.join(folder, "uploads"), "TESTING": True,
                       "RATELIMIT_ENABLED": False})


def scan(index, kind):
    """A page as a scanner gives it: A4 at 200 dpi, grey noise (paper grain) with text
    lines, as a JPEG or as a one-page PDF holding that JPEG."""
    import io
    from PIL import Image, ImageDraw
    image = Image.effect_noise((1654, 2339), 24).point(lambda v: 160 + v // 3).convert("RGB")
    draw = ImageDraw.Draw(image)
    for line in range(60):
        draw.text((150, 150 + line * 34), f"Relevé de notes {index} — ligne {line} " * 3,
                  fill=(20, 20, 20))
    buffer = io.BytesIO()
    if kind == "pdf":
        image.save(buffer, "PDF", resolution=200)
    else:
        image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def setup(url, folder):
    """A candidate with a candidature to a formation asking 20 pieces, all uploaded."""
    from ecandidat import db, workflow
    from ecandidat.models import CompteCandidat, PieceJustificative
    from ecandidat.security import hash_password
    from factories import complete_candidat, open_formation, question
    app = make_app(url, folder)
    with app.app_context(), app.test_request_context():
        db.upgrade()
        formation = open_formation("MESURE")
        q = question(formation)
        asked = [PieceJustificative.create(code=f"P{i:02d}", libelle=f"Pièce scannée {i}",
                                           formation=formation, ordre=i)
                 for i in range(PIECES)]
        compte = CompteCandidat.create(numero_dossier="MESURE01", nom="MESURE", prenom="Léa",
                                       email="mesure@example.org",
                                       password_hash=hash_password("x" * 12), valide=True)
        candidat = complete_candidat(compte)
        actor = workflow.Actor.candidat(candidat)
        candidature = workflow.candidater(actor, candidat, formation)
        size = 0
        for i, piece in enumerate(asked):
            kind = "pdf" if i % 2 else "jpg"
            data = scan(i, kind)
            size += len(data)
            workflow.deposer_piece(actor, candidature, piece, data, f"scan{i}.{kind}")
        workflow.repondre(actor, candidature, q, "oui")
        return candidature.id, compte.id, size


def transmit(url, folder, candidature_id):
    from ecandidat import workflow
    from ecandidat.models import Candidature
    app = make_app(url, folder)
    with app.app_context(), app.test_request_context():
        candidature = Candidature.get_by_id(candidature_id)
        workflow.transmettre(workflow.Actor.candidat(candidature.candidat), candidature)


def rss_mb():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb():
    """The peak resident memory since `reset_peak` (VmHWM), else since start (ru_maxrss)."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak():
    """Linux: the peak (VmHWM) starts again from the resident memory of now."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def child(mode, url, folder, candidature_id, compte_id):
    """One measure, in this fresh process; prints a JSON line."""
    import gc
    from ecandidat import dossiers
    from ecandidat.models import CompteCandidat
    import ecandidat.pdf  # noqa: F401 — loaded in both modes: the worker has it too
    app = make_app(url, folder)
    client = app.test_client()
    with app.app_context():
        compte = CompteCandidat.get_by_id(compte_id)
        with client.session_transaction() as session:
            session["_user_id"] = compte.get_id()
            session["_fresh"] = True
    assert client.get("/candidatures/").status_code == 200  # warm: templates, Babel
    gc.collect()
    reset_peak()
    base_rss, base_peak = rss_mb(), peak_mb()
    times, sizes = [], []
    for _ in range(REPEAT if mode != "job" else 1):
        start = time.perf_counter()
        if mode == "job":
            with app.app_context():
                name = dossiers.build(candidature_id)
                assert name, "not built"
                sizes.append(os.path.getsize(os.path.join(folder, "uploads", name)))
        else:
            response = client.get(f"/candidatures/{candidature_id}/dossier.pdf")
            assert response.status_code == 200, response.status_code
            # Read as a server sends it, chunk by chunk, without keeping it.
            sizes.append(sum(len(chunk) for chunk in response.response))
            response.close()
            del response
        times.append(time.perf_counter() - start)
    gc.collect()
    print(json.dumps(dict(mode=mode, seconds=statistics.median(times), runs=times,
                          pdf_bytes=sizes[0], base_rss=base_rss,
                          peak_over_base=peak_mb() - max(base_rss, base_peak),
                          kept_over_base=rss_mb() - base_rss)))


def run_child(mode, url, folder, candidature_id, compte_id):
    output = subprocess.run(
        [sys.executable, "-m", "tools.measure_dossier", "--child", mode, url, folder,
         str(candidature_id), str(compte_id)],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    if sys.argv[1:2] == ["--child"]:
        mode, url, folder, candidature_id, compte_id = sys.argv[2:7]
        child(mode, url, folder, int(candidature_id), int(compte_id))
        return
    folder = tempfile.mkdtemp(prefix="ecandidat-dossier-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/measure.sqlite3"
    candidature_id, compte_id, size = setup(url, folder)
    print(f"database: {url.split('@')[-1]}; {PIECES} scanned pieces, "
          f"{size / 2**20:.1f} MB uploaded; load average {os.getloadavg()[0]:.2f}")
    results = [run_child("before", url, folder, candidature_id, compte_id)]
    transmit(url, folder, candidature_id)
    results.append(run_child("job", url, folder, candidature_id, compte_id))
    results.append(run_child("after", url, folder, candidature_id, compte_id))
    labels = {"before": "rendered in the request (before)",
              "job": "built by the dossiers job (once)",
              "after": "served from the stored file (after)"}
    print(f"{'':38} {'median s':>9} {'peak +MB':>9} {'kept +MB':>9} {'PDF MB':>7}")
    print(f"(base: the process after start-up and one page, "
          f"{results[0]['base_rss']:.0f} MB resident; peak: VmHWM over it, reset first; kept: "
          f"resident after the downloads and a gc)")
    for row in results:
        print(f"{labels[row['mode']]:38} {row['seconds']:9.3f} {row['peak_over_base']:9.1f} "
              f"{row['kept_over_base']:9.1f} {row['pdf_bytes'] / 2**20:7.1f}")


if __name__ == "__main__":
    main()

"""Upload budgets (pixels of an image, pages of a PDF) and a dossier PDF that cannot
run away: images downsized, stored files checked again, a page budget in all."""
import html
import io
import struct
import time
import zlib

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from ecandidat import storage
from ecandidat.models import Candidature, PieceCandidat
from ecandidat.pdf import IMAGE_BOX, dossier_pdf, dossier_summary_pdf
from factories import complete_candidat, open_formation, pieces


def text(response):
    return html.unescape(response.get_data(as_text=True))


def huge_png(width=20000, height=20000):
    """A 1-bit PNG declaring width × height pixels, all black: a few KB on disk,
    400 megapixels once decoded. Written by hand: Pillow would need the pixels."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the packed pixels
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))


def pdf_bytes(pages=1, user_password=None, owner_password=None):
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if user_password is not None:
        writer.encrypt(user_password=user_password, owner_password=owner_password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def photo(size=(4000, 3000), kind="JPEG"):
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize(size).convert("RGB").save(buffer, kind)
    return buffer.getvalue()


@pytest.fixture
def applicant(candidate_client):
    """A signed-in candidate with a candidature to an open formation."""
    complete_candidat(candidate_client.compte)
    formation = open_formation()
    candidate_client.asked = pieces(formation)
    candidate_client.post(f"/candidatures/candidater/{formation.id}")
    candidate_client.candidature = Candidature.get()
    return candidate_client


def upload(client, data, name, piece="lettre"):
    return text(client.post(
        f"/candidatures/{client.candidature.id}/pieces/{client.asked[piece].id}/deposer",
        data={"fichier": (io.BytesIO(data), name)}, content_type="multipart/form-data",
        follow_redirects=True))


def test_a_small_png_of_huge_dimensions_is_refused_at_once(applicant):
    data = huge_png()
    assert len(data) < 100_000
    started = time.monotonic()
    page = upload(applicant, data, "scan.png")
    assert time.monotonic() - started < 3
    assert "Cette image est trop grande (40 mégapixels au plus)" in page
    assert PieceCandidat.select().count() == 0


def test_the_pixel_budget_is_a_setting(app, applicant):
    app.config["MAX_UPLOAD_PIXELS"] = 1_000_000
    assert "Cette image est trop grande (1 mégapixels au plus)" in upload(
        applicant, photo((1200, 1000)), "photo.jpg")
    assert "est déposée" in upload(applicant, photo((1000, 1000)), "photo.jpg")


@pytest.mark.parametrize("data, message", [
    (pdf_bytes(pages=4), "Ce PDF compte trop de pages (3 au plus)"),
    (pdf_bytes(user_password="secret"), "Ce PDF est protégé par un mot de passe"),
    (b"%PDF-1.4\n" + b"\x00garbage" * 50, "Ce PDF est illisible"),
])
def test_pdfs_over_budget_locked_or_broken_are_refused(app, applicant, data, message):
    app.config["MAX_UPLOAD_PAGES"] = 3
    assert message in upload(applicant, data, "releve.pdf")
    assert PieceCandidat.select().count() == 0


def test_a_pdf_with_restrictions_only_is_accepted(app, applicant):
    app.config["MAX_UPLOAD_PAGES"] = 3
    assert "est déposée" in upload(applicant, pdf_bytes(3, user_password="",
                                                        owner_password="proprio"), "ok.pdf")


def store(candidature, piece, data, name, mime):
    """A file written straight into storage, as one stored before the budgets were."""
    fichier = f"{len(PieceCandidat.select()):02d}placed." + mime.split("/")[1]
    with open(storage.stored_path(fichier), "wb") as handle:
        handle.write(data)
    return PieceCandidat.create(candidat=candidature.candidat_id,
                                candidature=None if piece.partagee else candidature,
                                piece=piece, statut="TR", fichier=fichier, nom_original=name,
                                type_mime=mime, taille=len(data))


def pages_of(data):
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def test_a_stored_huge_image_cannot_make_the_dossier_run_away(applicant):
    """81 megapixels: under Pillow's own bomb limit (89), so only the budget stops it
    (it used to take WeasyPrint seconds and a gigabyte)."""
    candidature = applicant.candidature
    store(candidature, applicant.asked["lettre"], huge_png(9000, 9000), "scan.png", "image/png")
    started = time.monotonic()
    pages = pages_of(dossier_pdf(candidature))
    assert time.monotonic() - started < 10
    assert "Pièce « Lettre de motivation » illisible ou introuvable" in pages[-1]


def test_images_are_downsized_to_an_a4_page_at_150_dpi(applicant):
    candidature = applicant.candidature
    store(candidature, applicant.asked["lettre"], photo((4000, 3000)), "photo.jpg", "image/jpeg")
    store(candidature, applicant.asked["identite"], photo((3000, 4000), "PNG"), "id.png",
          "image/png")
    reader = PdfReader(io.BytesIO(dossier_pdf(candidature)))
    for page in reader.pages[-2:]:
        [embedded] = page.images
        width, height = embedded.image.size
        assert max(width, height) <= max(IMAGE_BOX) and min(width, height) <= min(IMAGE_BOX)
        assert max(width, height) >= 1000  # shrunk, not thumbnailed into a blur


def test_the_dossier_has_a_page_budget(app, applicant):
    candidature = applicant.candidature
    own_pages = len(pages_of(dossier_summary_pdf(candidature)))
    app.config["DOSSIER_MAX_PAGES"] = own_pages + 3
    store(candidature, applicant.asked["lettre"], pdf_bytes(2), "lettre.pdf", "application/pdf")
    store(candidature, applicant.asked["identite"], pdf_bytes(2), "id.pdf", "application/pdf")
    pages = pages_of(dossier_pdf(candidature))
    # The first piece fits (2 pages); the second would pass the budget: one notice page.
    assert len(pages) == own_pages + 2 + 1
    assert "Pièce « Pièce d'identité » illisible ou introuvable" in pages[-1]


def test_stored_files_are_checked_again_when_the_dossier_is_built(app, applicant):
    candidature = applicant.candidature
    store(candidature, applicant.asked["lettre"], pdf_bytes(4), "lettre.pdf", "application/pdf")
    app.config["MAX_UPLOAD_PAGES"] = 3
    pages = pages_of(dossier_pdf(candidature))
    assert "Pièce « Lettre de motivation » illisible ou introuvable" in pages[-1]
    assert "Dossier de candidature" in pages[0]  # the rest of the dossier is intact

"""PDF outputs rendered with WeasyPrint: the candidate dossier, and through
`render_pdf` any template of templates/pdf/ (the admission and refusal letters).

Templates carry text typed by candidates and managers, so WeasyPrint may only
fetch `data:` URLs, files under the project's static/ folder and the stored
files a caller grants explicitly: a stray URL never reaches the network nor
reads a file of the server."""
import base64
import io
import logging
import mimetypes
import os
from urllib.parse import urlsplit
from urllib.request import url2pathname

import weasyprint
from flask import current_app, render_template
from flask_babel import gettext as _
from PIL import Image, ImageOps
from pypdf import PdfWriter
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

from ecandidat import codes, profile, storage
from ecandidat.models import Adresse, BacSpecialite, CandidatBac, CandidatBacSpecialite
from ecandidat.workflow import date_retour, piece_rows, question_rows

log = logging.getLogger(__name__)

PDF_TYPE = "application/pdf"
IMAGE_TYPES = {"image/jpeg", "image/png"}
# An A4 page at 150 dpi: a scan stays legible, and no image embedded in a dossier
# holds more than about 2 megapixels, whatever was uploaded.
IMAGE_BOX = (1240, 1754)


class LocalURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves `data:` URLs, files under `static_folder`
    and the `granted` files only; any other URL raises PermissionError, which
    WeasyPrint logs before leaving the resource out."""

    def __init__(self, static_folder, granted=()):
        # Only data: URLs ever reach the parent fetcher (urllib); files are read here.
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)
        self.static_folder = os.path.realpath(static_folder)
        self.granted = {os.path.realpath(path) for path in granted}

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file" and parts.netloc in ("", "localhost"):
            # realpath: neither "../" nor a symbolic link leads out of the allowed places.
            path = os.path.realpath(url2pathname(parts.path))
            if self._allowed(path):
                with open(path, "rb") as handle:
                    body = handle.read()
                content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
                return URLFetcherResponse(url, body, {"Content-Type": content_type})
        raise PermissionError(f"URL refusée dans un PDF : {url}")

    def _allowed(self, path):
        return path in self.granted or (
            os.path.commonpath([self.static_folder, path]) == self.static_folder)


def render_pdf(template_name, granted_files=(), **context):
    """Render `template_name` with `context` to PDF bytes.

    Relative URLs in the template resolve under static/. `granted_files` are the
    absolute paths of stored files (an uploaded image, a signature) that the
    template may also load, by their `file://` URL (`weasyprint.urls.path2url`)."""
    static_folder = current_app.static_folder
    html = weasyprint.HTML(string=render_template(template_name, **context),
                           base_url=path2url(static_folder),
                           url_fetcher=LocalURLFetcher(static_folder, granted_files))
    return html.write_pdf()


# --- Candidate dossier ---------------------------------------------------------------------

def dossier_title(candidature):
    return _("Dossier de candidature — %(formation)s", formation=candidature.formation.libelle)


def dossier_pdf(candidature):
    """The complete dossier of `candidature`: its own pages (see `dossier_summary_pdf`),
    then every uploaded piece in the order of the pieces asked, shared ones included:
    a PDF page by page, an image on one A4 page. A piece that is missing or cannot
    be read gives a page saying so (and a logged warning) instead of an error.

    The work is bounded whatever was stored: each file is checked again against the
    upload budgets (pixels, pages), images are downsized, and a piece that would take
    the dossier past DOSSIER_MAX_PAGES gives the one-page notice instead."""
    title = dossier_title(candidature)
    budget = current_app.config["DOSSIER_MAX_PAGES"]
    writer = PdfWriter()
    writer.append(io.BytesIO(dossier_summary_pdf(candidature)), outline_item=title)
    for piece, fourni in piece_rows(candidature):
        if fourni is not None and fourni.fichier:
            pages_left = budget - len(writer.pages)
            writer.append(io.BytesIO(piece_pdf(candidature, piece, fourni, pages_left)),
                          outline_item=piece.libelle)
    writer.add_metadata({"/Title": title})
    return _to_bytes(writer)


def dossier_summary_pdf(candidature):
    """The dossier pages alone, without the uploaded pieces: a cover sheet with the
    postal address for a paper formation, then the candidate's file, the
    candidature, its pieces list and its answers."""
    return render_pdf("pdf/dossier.html", **dossier_context(candidature))


def dossier_context(candidature):
    """What the dossier shows (the candidate's file, the candidature, its dates, pieces
    and answers): also the console's "Ouvrir" page."""
    formation = candidature.formation
    commission = formation.commission
    candidat = profile.identity(candidature.candidat)
    bac = CandidatBac.get_or_none(CandidatBac.candidat == candidat.id)
    return dict(
        title=dossier_title(candidature), codes=codes,
        candidature=candidature, formation=formation, commission=commission,
        centre=commission.centre, compte=candidat.compte, candidat=candidat,
        candidat_adresse=_adresse_lines(candidat.adresse_id),
        commission_adresse=_adresse_lines(commission.adresse_id),
        bac=bac, specialites=_specialites(bac),
        cursus_internes=profile.cursus_internes(candidat),
        cursus_externes=profile.cursus_externes(candidat),
        stages=profile.stages(candidat), experiences=profile.experiences(candidat),
        mode=codes.MODE_CANDIDATURE.label("DEMAT" if formation.demat else "PAPIER"),
        date_retour=date_retour(candidature),
        pieces=piece_rows(candidature), questions=question_rows(candidature))


def _adresse_lines(adresse_id):
    adresse = Adresse.get_or_none(Adresse.id == adresse_id) if adresse_id else None
    return adresse.lines() if adresse else []


def _specialites(bac):
    if bac is None:
        return []
    return [row.specialite.libelle for row in
            CandidatBacSpecialite.select(CandidatBacSpecialite, BacSpecialite)
            .join(BacSpecialite).where(CandidatBacSpecialite.bac == bac.id)
            .order_by(CandidatBacSpecialite.id)]


# --- Uploaded pieces -----------------------------------------------------------------------

class UnreadablePiece(Exception):
    """An uploaded file that cannot go into the dossier (missing, corrupt, encrypted…)."""


def piece_pdf(candidature, piece, fourni, pages_left=None):
    """The uploaded file `fourni` (a PieceCandidat) of `piece` as standalone PDF bytes,
    or a page saying « Pièce … illisible ou introuvable » when it cannot be read, is
    over the upload budgets, or has more than `pages_left` pages."""
    context = dict(title=dossier_title(candidature), piece=piece, fourni=fourni)
    try:
        path = _stored_file(fourni)
        if fourni.type_mime == PDF_TYPE:
            return _pdf_copy(path, pages_left)
        if fourni.type_mime in IMAGE_TYPES:
            return render_pdf("pdf/piece.html", image_url=_downsized_image_url(path),
                              **context)
        raise UnreadablePiece(f"type {fourni.type_mime!r} non pris en charge")
    except UnreadablePiece as error:
        log.warning("Pièce %r (PieceCandidat %s) remplacée par une page « illisible » "
                    "dans le dossier de la candidature %s : %s",
                    piece.libelle, fourni.id, candidature.id, error)
        return render_pdf("pdf/piece.html", image_url=None, **context)


def _stored_file(fourni):
    try:
        path = storage.stored_path(fourni.fichier)
    except storage.UploadError as error:
        raise UnreadablePiece(f"nom de fichier refusé : {fourni.fichier!r}") from error
    if not os.path.isfile(path):
        raise UnreadablePiece(f"fichier {fourni.fichier} introuvable")
    return path


def _pdf_copy(path, pages_left=None):
    """The pages of the PDF at `path`, written out as a new PDF.

    Writing forces pypdf to resolve every object now, so a corrupt file fails
    here and not half-way through the merged dossier."""
    try:
        # Checked again: the file may predate the budgets, or have been placed by hand.
        reader = storage.check_pdf(path)
        if pages_left is not None and len(reader.pages) > pages_left:
            raise UnreadablePiece(f"{len(reader.pages)} pages : le dossier dépasserait "
                                  f"{current_app.config['DOSSIER_MAX_PAGES']} pages")
        writer = PdfWriter()
        for page in reader.pages:
            writer.add_page(page)
        return _to_bytes(writer)
    except UnreadablePiece:
        raise
    except storage.UploadError as error:
        raise UnreadablePiece(str(error)) from error
    except Exception as error:  # pypdf raises many kinds of errors on malformed input
        raise UnreadablePiece(f"PDF illisible : {error!r}") from error


def _downsized_image_url(path):
    """The image at `path`, turned upright and shrunk to fit IMAGE_BOX, as a data: URL.

    Its header is checked first against MAX_UPLOAD_PIXELS, so no oversized image is
    ever decoded; a JPEG is even decoded at a reduced scale (draft)."""
    try:
        with open(path, "rb") as handle:
            storage.check_image(handle)
        with Image.open(path) as image:
            kind = "JPEG" if image.format == "JPEG" else "PNG"
            image.draft("RGB", IMAGE_BOX)
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail(IMAGE_BOX)
            output = io.BytesIO()
            upright.save(output, kind, **({"quality": 85} if kind == "JPEG" else {}))
    except storage.UploadError as error:
        raise UnreadablePiece(str(error)) from error
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError… likewise
        raise UnreadablePiece(f"image illisible : {error!r}") from error
    encoded = base64.b64encode(output.getvalue()).decode("ascii")
    return f"data:image/{kind.lower()};base64,{encoded}"


def _to_bytes(writer):
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()

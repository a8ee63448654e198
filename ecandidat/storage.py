"""Uploaded files: checked on content, stored outside static under a random name.

Views never build a path: they hand the upload to `save_upload` and serve
files through `open_stored` after their permission check."""
import io
import os
import secrets
import warnings

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image
from pypdf import PdfReader

ALLOWED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


class UploadError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def upload_folder():
    folder = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    return folder


def max_bytes():
    return current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024


def init_app(app):
    """Pillow itself refuses (DecompressionBombError) any image over twice the upload
    budget, wherever it opens one in this process: WeasyPrint's included."""
    Image.MAX_IMAGE_PIXELS = app.config["MAX_UPLOAD_PIXELS"]


def check_upload(data):
    """The MIME type of an acceptable file's bytes, or UploadError.

    Besides its type and size, a file must stay within the budgets that keep the
    dossier PDF cheap to build: MAX_UPLOAD_PIXELS for an image (a few KB of PNG
    may declare 20000×20000 pixels), MAX_UPLOAD_PAGES for a PDF."""
    if not data:
        raise UploadError(_l("Le fichier est vide."))
    if len(data) > max_bytes():
        raise UploadError(_l("Le fichier dépasse la taille maximale de %(mb)s Mo.",
                             mb=current_app.config["MAX_UPLOAD_MB"]))
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise UploadError(_l("Ce type de fichier n'est pas accepté : déposez un PDF, un JPEG "
                             "ou un PNG."))
    if kind.mime == "application/pdf":
        check_pdf(io.BytesIO(data))
    else:
        check_image(io.BytesIO(data))
    return kind.mime


def check_image(source):
    """Refuse an image that cannot be read or holds more than MAX_UPLOAD_PIXELS.

    Only the header is read (Image.open does not decode the pixels)."""
    budget = current_app.config["MAX_UPLOAD_PIXELS"]
    try:
        with warnings.catch_warnings():
            # Pillow warns between its limit and twice it; the budget is checked below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                width, height = image.size
    except Image.DecompressionBombError:
        width = height = budget + 1
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError…
        raise UploadError(_l("Cette image est illisible (fichier endommagé) : déposez-la "
                             "à nouveau ou enregistrez-la sous un autre format.")) from error
    if width * height > budget:
        raise UploadError(_l("Cette image est trop grande (%(mp)s mégapixels au plus) : "
                             "réduisez sa définition avant de la déposer.",
                             mp=budget // 1_000_000))


def check_pdf(source):
    """The PdfReader of an acceptable PDF (decrypted), or UploadError: broken, needs a
    password, or more than MAX_UPLOAD_PAGES pages. A PDF encrypted without an opening
    password (restrictions only) is accepted."""
    budget = current_app.config["MAX_UPLOAD_PAGES"]
    try:
        reader = PdfReader(source)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UploadError(_l("Ce PDF est protégé par un mot de passe : déposez une "
                                 "version sans protection."))
        pages = len(reader.pages)
    except UploadError:
        raise
    except Exception as error:  # pypdf raises many kinds of errors on malformed input
        raise UploadError(_l("Ce PDF est illisible (fichier endommagé) : déposez-le à "
                             "nouveau ou enregistrez-le de nouveau en PDF.")) from error
    if pages == 0:
        raise UploadError(_l("Ce PDF ne contient aucune page."))
    if pages > budget:
        raise UploadError(_l("Ce PDF compte trop de pages (%(max)s au plus) : déposez "
                             "seulement les pages demandées.", max=budget))
    return reader


def read_upload(file_storage):
    """Read an upload without ever holding more than the limit (+1 byte) in memory."""
    data = file_storage.stream.read(max_bytes() + 1)
    return data


def save_upload(data):
    """Write checked bytes under a new random name; returns (name, mime, size).

    The file is written before the row that refers to it commits; if that
    transaction fails the caller removes it with `delete_stored`."""
    mime = check_upload(data)
    return save_new(data, ALLOWED_TYPES[mime]), mime, len(data)


def save_new(data, extension):
    """Write `data` under a new random name ending in `extension`; returns the name.

    Written to a temporary twin (".part"), synced, then renamed: under the real name
    there is never a half-written file, and a failure leaves nothing behind (a crash
    mid-write leaves the .part, which the `fichiers` job removes)."""
    name = f"{secrets.token_hex(16)}.{extension}"
    path = os.path.join(upload_folder(), name)
    temporary = path + ".part"
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.remove(temporary)
        except FileNotFoundError:
            pass
        raise
    return name


def stored_path(name):
    """Absolute path of a stored file; refuses anything but a bare stored name."""
    if not name or os.path.basename(name) != name or name.startswith("."):
        raise UploadError(_l("Fichier introuvable."))
    return os.path.join(upload_folder(), name)


def delete_stored(name):
    if not name:
        return
    try:
        os.remove(stored_path(name))
    except FileNotFoundError:
        pass


def safe_download_name(original, fallback="document"):
    """A download name with no path, no control characters, and its extension kept."""
    base = os.path.basename((original or "").replace("\\", "/"))
    cleaned = "".join(c for c in base if c.isprintable() and c not in '"<>:|?*;').strip(" .")
    return cleaned[:120] or fallback

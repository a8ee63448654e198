"""Uploaded files: checked on content, stored outside static under a random name.

Views never build a path: they hand the upload to `save_upload` and serve
files through `open_stored` after their permission check."""
import os
import secrets

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l

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


def check_upload(data):
    """The MIME type of an acceptable file's bytes, or UploadError."""
    if not data:
        raise UploadError(_l("Le fichier est vide."))
    if len(data) > max_bytes():
        raise UploadError(_l("Le fichier dépasse la taille maximale de %(mb)s Mo.",
                             mb=current_app.config["MAX_UPLOAD_MB"]))
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise UploadError(_l("Ce type de fichier n'est pas accepté : déposez un PDF, un JPEG "
                             "ou un PNG."))
    return kind.mime


def read_upload(file_storage):
    """Read an upload without ever holding more than the limit (+1 byte) in memory."""
    data = file_storage.stream.read(max_bytes() + 1)
    return data


def save_upload(data):
    """Write checked bytes under a new random name; returns (name, mime, size).

    The file is written before the row that refers to it commits; if that
    transaction fails the caller removes it with `delete_stored`."""
    mime = check_upload(data)
    name = f"{secrets.token_hex(16)}.{ALLOWED_TYPES[mime]}"
    path = os.path.join(upload_folder(), name)
    temporary = path + ".part"
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)  # never a half-written file under the real name
    return name, mime, len(data)


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

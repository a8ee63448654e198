"""Sending private files: only after the caller's permission check."""
import io

from flask import abort, send_file

from ecandidat import storage


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def send_private_file(stored_name, original_name, mimetype):
    """An attachment download that is never sniffed, framed or cached."""
    try:
        path = storage.stored_path(stored_name)
        response = send_file(path, mimetype=mimetype or "application/octet-stream",
                             as_attachment=True,
                             download_name=storage.safe_download_name(original_name),
                             max_age=0, conditional=False)
    except (storage.UploadError, FileNotFoundError):
        abort(404)
    return _private(response)


def send_private_bytes(data, download_name, mimetype):
    """The same guarantees for a document generated on the fly or already open (the
    dossier PDF): `data` is bytes or a binary file object, closed once sent."""
    source = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
    return _private(send_file(source, mimetype=mimetype, as_attachment=True,
                              download_name=storage.safe_download_name(download_name),
                              max_age=0, conditional=False))

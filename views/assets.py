"""Static files under URLs that name their content, cached by browsers for a year.

Templates link them with `static_url(filename)` (or `static_url(filename,
endpoint="admin.static")` for a blueprint's files): `/static/css/ecandidat.css?v=<the
first 12 hex digits of the file's SHA-256>`. A response to such a URL is
`immutable` for a year: a changed file has a new URL, so a browser never keeps a stale
one, and otherwise never asks again. Any other static URL (no `v`, or a `v` that is no
longer the file's) is cached for a few minutes only.

A hash is computed the first time a file is linked or served, then kept for the life
of the process: a deployment that changes static files restarts the workers. In debug
mode a file whose modification time changed is hashed again, for whoever edits the CSS.
"""
import hashlib
import os
import posixpath
import threading

from flask import current_app, request
from werkzeug.security import safe_join

from views.templating import url_for

FINGERPRINT_PARAMETER = "v"
FINGERPRINT_LENGTH = 12
LONG_CACHE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=300"


class Fingerprints:
    """The content hash of each static file an app serves, computed once."""

    def __init__(self, app):
        self.app = app
        self._known = {}  # (endpoint, filename) → (mtime or None, hash or None)
        self._lock = threading.Lock()

    def folder(self, endpoint):
        if endpoint == "static":
            return self.app.static_folder
        blueprint = self.app.blueprints.get(endpoint.rsplit(".", 1)[0])
        return blueprint.static_folder if blueprint is not None else None

    def of(self, endpoint, filename):
        """The file's fingerprint, or None when it does not exist."""
        key = (endpoint, filename)
        known = self._known.get(key)
        if known is not None and not self.app.debug:
            return known[1]
        path = self._path(endpoint, filename)
        mtime = _mtime(path)
        if known is not None and known[0] == mtime:
            return known[1]
        digest = _digest(path) if mtime is not None else None
        with self._lock:
            self._known[key] = (mtime, digest)
        return digest

    def _path(self, endpoint, filename):
        folder = self.folder(endpoint)
        return safe_join(folder, filename) if folder else None


def _mtime(path):
    try:
        return os.stat(path).st_mtime_ns if path else None
    except OSError:
        return None


def _digest(path):
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            sha.update(chunk)
    return sha.hexdigest()[:FINGERPRINT_LENGTH]


def is_static_endpoint(endpoint):
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static"))


def static_url(filename, endpoint="static"):
    """The URL of a static file, fingerprinted with its content when it exists."""
    fingerprint = current_app.extensions["fingerprints"].of(endpoint, filename)
    if fingerprint is None:
        return url_for(endpoint, filename=filename)
    return url_for(endpoint, filename=filename, **{FINGERPRINT_PARAMETER: fingerprint})


def _cache_headers(response):
    if not is_static_endpoint(request.endpoint) or response.status_code not in (200, 304):
        return response
    filename = (request.view_args or {}).get("filename")
    if filename is None:
        return response
    asked = request.args.get(FINGERPRINT_PARAMETER)
    # Only the names static_url writes are looked up (and remembered): "css/./a.css"
    # and the like answer too, and remembering every spelling would grow without end.
    fingerprinted = (asked and posixpath.normpath(filename) == filename
                     and asked == current_app.extensions["fingerprints"].of(request.endpoint,
                                                                           filename))
    response.headers["Cache-Control"] = LONG_CACHE if fingerprinted else SHORT_CACHE
    return response


def init_app(app):
    app.extensions["fingerprints"] = Fingerprints(app)
    app.add_template_global(static_url)
    app.after_request(_cache_headers)

"""Small helpers shared by the blueprints."""
from urllib.parse import urlsplit


def safe_next_url(target, default):
    """Only follow a local path: an absolute URL would be an open redirect."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target

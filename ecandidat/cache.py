"""The application's cache (Flask-Caching): in each process's memory by default
("SimpleCache"), in Redis when CACHE_REDIS_URL is set, then shared by every worker
and every app server.

Nothing relies on the cache for correctness: a key names exactly the state its value
was computed from (ecandidat.offer), so an entry is never wrong, only unused. And a
cache that fails (Redis down or slow) is a cache that misses: the failure is logged
and the caller computes the value, the page is served all the same."""
import functools
import hashlib
import logging

from flask import current_app
from flask_caching import Cache

log = logging.getLogger(__name__)
cache = Cache()

# A Redis call may wait this long before the page is computed without the cache.
REDIS_TIMEOUT_SECONDS = 0.5
# Entries kept by one process's memory cache: a few versions of the offer (each
# ~0.5 MB with its rendered HTML), the older dropped first.
MEMORY_ENTRIES = 16
# An entry unused this long goes (its key names a past state or a past day anyway).
ENTRY_SECONDS = 24 * 3600


def init_app(app):
    """Configure the cache of `app` from CACHE_REDIS_URL (None: process memory)."""
    url = app.config.get("CACHE_REDIS_URL")
    config = {"CACHE_DEFAULT_TIMEOUT": ENTRY_SECONDS,
              "CACHE_KEY_PREFIX": app.config.get("CACHE_KEY_PREFIX") or "ecandidat:"}
    if url:
        config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=url, CACHE_OPTIONS={
            "socket_timeout": REDIS_TIMEOUT_SECONDS,
            "socket_connect_timeout": REDIS_TIMEOUT_SECONDS})
    else:
        config.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=MEMORY_ENTRIES)
    cache.init_app(app, config=config)


def namespace():
    """A key prefix proper to the database: two instances (a test and a production
    database) sharing one Redis never read each other's entries."""
    return _namespace_of(current_app.config["DATABASE_URL"])


@functools.lru_cache(maxsize=8)
def _namespace_of(url):
    return hashlib.blake2b(url.encode(), digest_size=6).hexdigest()


def get(key):
    """The cached value, or None when it is missing or the cache fails."""
    try:
        return cache.get(f"{namespace()}:{key}")
    except Exception as error:  # noqa: BLE001 - any backend failure is a miss
        log.warning("Cache indisponible (lecture de %s) : %s", key, error)
        return None


def put(key, value):
    """Keep `value` under `key`; a failing cache only logs."""
    try:
        cache.set(f"{namespace()}:{key}", value)
    except Exception as error:  # noqa: BLE001 - the value is served uncached
        log.warning("Cache indisponible (écriture de %s) : %s", key, error)

"""Rate limits (Flask-Limiter): in memory by default, Redis through
RATELIMIT_STORAGE_URI when several workers serve the app."""
import hashlib

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from forms.account import IDENTIFIER_MAX_LENGTH

limiter = Limiter(key_func=get_remote_address)

LOGIN_PER_ADDRESS = "20 per minute;200 per hour"
LOGIN_PER_ACCOUNT = "10 per 15 minutes"
MAIL_REQUESTS = "5 per minute;30 per hour"


def identifier_key(field, find_account):
    """A key function limiting attempts on one account whatever address they come
    from and however its identifier is spelt: the key names the account that
    `find_account(typed)` (the login's own lookup) returns. Without an account, a
    hash of the (capped) identifier, so a huge identifier costs the limiter's
    storage 64 bytes, not its own size."""
    def key():
        typed = (request.form.get(field) or "")[:IDENTIFIER_MAX_LENGTH]
        account = find_account(typed)
        if account is not None:
            return f"login:{account.login_prefix}:{account.id}"
        return "login:" + hashlib.sha256(typed.strip().lower().encode()).hexdigest()
    return key


def failed_login(response):
    """Only failed logins count toward the per-account limit (a success redirects)."""
    return response.status_code != 302


def init_limits(app):
    """Flask-Limiter on `app`; its 429 page is views.errors'.

    The shared Redis is a secondary part: while it is down or silent each process
    counts in its own memory (limits still hold, per process) instead of answering
    500 to every login; Flask-Limiter tries Redis again now and then. A silent Redis
    costs such a try 1 s (redis-py waits 5 s by default)."""
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    if app.config.get("RATELIMIT_STORAGE_URI", "").startswith(("redis://", "rediss://")):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS",
                              {"socket_connect_timeout": 1, "socket_timeout": 1})
    limiter.init_app(app)

"""Rate limits (Flask-Limiter): in memory by default, Redis through
RATELIMIT_STORAGE_URI when several workers serve the app."""
from flask import render_template, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)

LOGIN_PER_ADDRESS = "20 per minute;200 per hour"
LOGIN_PER_ACCOUNT = "10 per 15 minutes"
MAIL_REQUESTS = "5 per minute;30 per hour"


def submitted_identifier():
    """Limit attempts on one account whatever address they come from."""
    return "login:" + (request.form.get("identifier") or "").strip().lower()


def init_limits(app):
    limiter.init_app(app)

    @app.errorhandler(429)
    def _too_many(error):
        return render_template("errors/429.html"), 429

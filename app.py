"""Application factory: `flask --app app …` and `gunicorn 'app:create_app()'`."""
import logging
import os

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from ecandidat import db, mail, storage
from ecandidat.config import load_config
from ecandidat.i18n import LANGUAGE_SESSION_KEY, normalized

babel = Babel()


def select_locale():
    """The signed-in person's language, else the one this browser chose with the
    switch (views.language), else the browser's Accept-Language, else French."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return languages[0]
    return (normalized(getattr(current_user, "langue", None), languages)
            or normalized(session.get(LANGUAGE_SESSION_KEY), languages)
            or request.accept_languages.best_match(languages) or languages[0])


def select_timezone():
    """Dates are shown in the institution's zone, the one deadlines are read in."""
    return current_app.config["TIMEZONE"]


def trust_proxies(app):
    """Behind PROXY_COUNT reverse proxies, take the client's address (per-IP rate
    limits, logs) and scheme from their X-Forwarded-For/-Proto headers. Without
    the setting those headers are ignored: a client could write anything there."""
    count = app.config["PROXY_COUNT"]
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(load_config(app.instance_path, app.root_path))
    if test_config:
        app.config.update(test_config)
    logging.basicConfig(level=logging.INFO)
    # WeasyPrint logs every rendering step at INFO: keep its warnings only.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)

    from views import templating
    from views.microcache import MicroCache
    app.wsgi_app = MicroCache(app.wsgi_app)  # inside ProxyFix: it keys on the fixed scheme
    trust_proxies(app)
    db.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    templating.init_app(app)
    mail.init_app(app)
    storage.init_app(app)

    from views import assets, init_views
    init_views(app)
    assets.init_app(app)

    from ecandidat.cli import register_cli
    register_cli(app)
    return app


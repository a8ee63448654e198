"""The language switch of every page header (candidate pages and console).

A POST (CSRF-checked by CSRFProtect) from templates/_language_switch.html: the choice
is kept in the session for everyone (a visitor keeps it after a logout too) and on the
signed-in account (CompteCandidat.langue, read back at the next login, and the
language of their mails and PDFs; User.langue for the console)."""
from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_login import current_user

from ecandidat.db import write_transaction
from ecandidat.i18n import LANGUAGE_SESSION_KEY, NAMES, choose_language, normalized
from views.helpers import safe_next_url

bp = Blueprint("language", __name__)


@bp.route("/langue", methods=("POST",))
def switch():
    language = normalized(request.form.get("langue"), current_app.config["LANGUAGES"])
    if language is None:
        abort(400)
    session[LANGUAGE_SESSION_KEY] = language
    user = current_user._get_current_object()
    if user.is_authenticated:
        with write_transaction():
            choose_language(user, language)
    return redirect(safe_next_url(request.form.get("next"), url_for("main.index")))


def offered_languages():
    """(code, name in its own language) of each language the interface offers."""
    return [(code, NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]


def init_app(app):
    app.register_blueprint(bp)
    app.add_template_global(offered_languages, "offered_languages")

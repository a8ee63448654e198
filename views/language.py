"""The language switch of every page header (candidate pages and console).

A POST from templates/_language_switch.html: the choice is kept in the session for
everyone (a visitor keeps it after a logout too) and on the signed-in account
(CompteCandidat.langue, read back at the next login, and the language of their mails
and PDFs; User.langue for the console).

The CSRF token is asked of the signed-in only (their account changes), and so the
form carries one only for them: an anonymous page stays the same for every visitor,
as the public offer's shared validators need (views.catalog). A forged POST can at
worst change a visitor's language in their own session."""
from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from ecandidat.db import write_transaction
from ecandidat.i18n import LANGUAGE_SESSION_KEY, NAMES, choose_language, normalized
from views.helpers import safe_next_url

bp = Blueprint("language", __name__)
# The form's token field: not "csrf_token", which stays the one of the page's own form.
TOKEN_FIELD = "language_csrf_token"


@bp.route("/langue", methods=("POST",))
def switch():
    language = normalized(request.form.get("langue"), current_app.config["LANGUAGES"])
    if language is None:
        abort(400)
    user = current_user._get_current_object()
    if user.is_authenticated and current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            validate_csrf(request.form.get(TOKEN_FIELD))
        except ValidationError:
            abort(400)
    session[LANGUAGE_SESSION_KEY] = language
    if user.is_authenticated:
        with write_transaction():
            choose_language(user, language)
    return redirect(safe_next_url(request.form.get("next"), url_for("main.index")))


def offered_languages():
    """(code, name in its own language) of each language the interface offers."""
    return [(code, NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]


def init_app(app):
    from views import csrf
    csrf.exempt(switch)  # checked above, for the signed-in
    app.register_blueprint(bp)
    app.add_template_global(offered_languages, "offered_languages")

"""The candidate's data in their hands: Télécharger mes données, Supprimer mon compte,
the calendar of their candidatures (rules in ecandidat.personal_data and
ecandidat.calendar)."""
from urllib.parse import urlsplit, urlunsplit

from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   url_for)
from flask_babel import force_locale, gettext as _
from flask_login import logout_user

from ecandidat import calendar, personal_data
from forms.personal_data import DeleteAccountPasswordForm, DeleteAccountWordForm
from views import form_view
from views.candidatures import own_candidature
from views.helpers import candidate_required, signed_in_compte
from views.limits import LOGIN_PER_ACCOUNT, limiter

bp = Blueprint("donnees", __name__)


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- Télécharger mes données --------------------------------------------------------------

@bp.route("/mon-compte/mes-donnees.zip")
@candidate_required
def export():
    """The ZIP, written while it is sent (ecandidat.personal_data.zip_chunks)."""
    prepared = personal_data.export(signed_in_compte())
    response = Response(personal_data.zip_chunks(prepared), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{prepared.download_name}"'
    return _private(response)


# --- Supprimer mon compte -----------------------------------------------------------------

def _account_key():
    compte = signed_in_compte()
    return f"suppression:{compte.id}" if compte is not None else request.remote_addr


@bp.route("/mon-compte/supprimer", methods=("GET", "POST"))
@form_view
@candidate_required
@limiter.limit(LOGIN_PER_ACCOUNT, key_func=_account_key, methods=["POST"])
def delete_account():
    """GET: what is deleted, or why it cannot be; POST: the confirmation typed, then the
    deletion, the session ended, Accueil."""
    compte = signed_in_compte()
    refusal = personal_data.deletion_refusal(compte)
    with_password = bool(compte.password_hash)
    form = (DeleteAccountPasswordForm if with_password else DeleteAccountWordForm)()
    if refusal is None and form.validate_on_submit():
        problem = personal_data.check_confirmation(compte, form.confirmation.data)
        if problem:
            form.confirmation.errors = list(form.confirmation.errors) + [str(problem)]
        else:
            try:
                personal_data.delete_account(compte)
            except personal_data.DeletionRefused as refused:
                refusal = refused
            else:
                logout_user()
                flash(_("Votre compte et toutes ses données ont été supprimés. Un mail de "
                        "confirmation vous a été envoyé."), "success")
                return redirect(url_for("main.index"))
    status = 409 if refusal is not None and request.method == "POST" else 200
    return render_template("profile/delete_account.html", form=form, refusal=refusal,
                           with_password=with_password,
                           word=personal_data.confirmation_word()), status


# --- Calendar ----------------------------------------------------------------------------

def _candidature_link(candidature):
    return url_for("candidatures.detail", candidature_id=candidature.id, _external=True)


def _ics(data, filename, attachment):
    response = Response(data, mimetype=calendar.MEDIA_TYPE)
    kind = "attachment" if attachment else "inline"
    response.headers["Content-Disposition"] = f'{kind}; filename="{filename}"'
    return _private(response)


@bp.route("/candidatures/<int:candidature_id>/calendrier.ics")
@candidate_required
def candidature_ics(candidature_id):
    candidature = own_candidature(candidature_id)
    data = calendar.candidature_calendar(candidature, _candidature_link)
    return _ics(data, f"candidature-{candidature.id}.ics", attachment=True)


@bp.route("/calendrier/<token>.ics")
def feed(token):
    """The subscription feed: no session, the secret token only (404 otherwise), in the
    candidate's language."""
    compte = calendar.compte_for_token(token)
    if compte is None:
        abort(404)
    with force_locale(compte.langue or "fr"):
        data = calendar.feed(compte, _candidature_link)
    return _ics(data, "ecandidat.ics", attachment=False)


def _feed_urls(token):
    """(https address, webcal address) of a feed token."""
    address = url_for("donnees.feed", token=token, _external=True)
    parts = urlsplit(address)
    return address, urlunsplit(("webcal",) + tuple(parts[1:]))


@bp.route("/mon-compte/calendrier", methods=("GET", "POST"))
@candidate_required
def subscription():
    """GET: whether a subscription address is active. POST action=generer: a new address
    (shown once: only its hash is kept), the old one stops; action=desactiver: none."""
    compte = signed_in_compte()
    urls = None
    if request.method == "POST":
        if request.form.get("action") == "desactiver":
            if calendar.end_subscription(compte):
                flash(_("L'adresse d'abonnement est désactivée : elle ne donne plus accès à "
                        "votre calendrier."), "success")
            return redirect(url_for(".subscription"))
        urls = _feed_urls(calendar.new_subscription(compte))
    page = render_template("profile/calendar.html", subscription=calendar.subscription(compte),
                           urls=urls)
    return _private(Response(page))

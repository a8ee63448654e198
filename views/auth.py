"""Connexion, Créer un compte, validation, forgotten credentials, Déconnexion."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import login_user, logout_user

from ecandidat import accounts, sso
from forms.account import (ChangeEmailForm, EmailRequestForm, LoginForm, RegisterForm,
                           ResetPasswordForm)
from views import form_view
from views.helpers import candidate_required, safe_next_url, signed_in_compte
from views.limits import (LOGIN_PER_ACCOUNT, LOGIN_PER_ADDRESS, MAIL_REQUESTS, failed_login,
                          identifier_key, limiter)

bp = Blueprint("auth", __name__)

SAME_ANSWER_RESET = ("Si un compte existe avec cette adresse, un mail vient de lui être envoyé "
                     "avec son identifiant et un lien pour choisir un nouveau mot de passe "
                     "(valable 2 heures).")
SAME_ANSWER_ACTIVATION = ("Si un compte non validé existe avec cette adresse, un nouveau lien "
                          "de validation vient de lui être envoyé.")


def _attach(form, error):
    """Show a domain refusal next to its field, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(error.message)]
    else:
        flash(str(error.message), "error")


@bp.route("/connexion", methods=("GET", "POST"))
@form_view
@limiter.limit(LOGIN_PER_ADDRESS, methods=["POST"])
@limiter.limit(LOGIN_PER_ACCOUNT, key_func=identifier_key("identifier", accounts.find_account),
               methods=["POST"], deduct_when=failed_login)
def login():
    if signed_in_compte() is not None:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            compte = accounts.authenticate(form.identifier.data, form.password.data)
        except accounts.AccountError as error:
            flash(str(error.message), "error")
        else:
            login_user(compte)
            return redirect(safe_next_url(request.args.get("next"), url_for("main.index")))
    return render_template("auth/login.html", form=form,
                           sso_enabled=sso.is_configured(current_app.config))


@bp.route("/compte/creer", methods=("GET", "POST"))
@form_view
@limiter.limit(MAIL_REQUESTS, methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            # The language the visitor reads now (chosen, or their browser's) becomes
            # the account's: its first mail, the validation link, is in it.
            accounts.create_account(form.nom.data, form.prenom.data, form.email.data,
                                    form.password.data, langue=str(get_locale()))
        except accounts.AccountError as error:
            _attach(form, error)
        else:
            return render_template("auth/check_mail.html", email=form.email.data.strip().lower())
    return render_template("auth/register.html", form=form)


@bp.route("/compte/valider/<token>")
def validate(token):
    try:
        accounts.validate_account(token)
    except accounts.AccountError as error:
        flash(str(error.message), "error")
        return redirect(url_for(".lost_activation"))
    flash(_("Votre adresse mail est validée. Vous pouvez vous connecter."), "success")
    return redirect(url_for(".login"))


@bp.route("/compte/identifiants-oublies", methods=("GET", "POST"))
@form_view
@limiter.limit(MAIL_REQUESTS, methods=["POST"])
def forgot():
    form = EmailRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        flash(_(SAME_ANSWER_RESET), "success")
        return redirect(url_for(".login"))
    return render_template("auth/email_request.html", form=form,
                           title=_("J'ai oublié mes identifiants"),
                           intro=_("Indiquez l'adresse mail de votre compte : vous recevrez "
                                   "votre identifiant et un lien pour choisir un nouveau "
                                   "mot de passe."))


@bp.route("/compte/code-activation", methods=("GET", "POST"))
@form_view
@limiter.limit(MAIL_REQUESTS, methods=["POST"])
def lost_activation():
    form = EmailRequestForm()
    if form.validate_on_submit():
        accounts.resend_validation(form.email.data)
        flash(_(SAME_ANSWER_ACTIVATION), "success")
        return redirect(url_for(".login"))
    return render_template("auth/email_request.html", form=form,
                           title=_("J'ai perdu mon code d'activation"),
                           intro=_("Indiquez l'adresse mail de votre compte : si celui-ci "
                                   "n'est pas encore validé, un nouveau lien de validation "
                                   "vous sera envoyé."))


@bp.route("/compte/reinitialiser/<token>", methods=("GET", "POST"))
@form_view
@limiter.limit(MAIL_REQUESTS, methods=["POST"])
def reset(token):
    try:
        accounts.account_for_reset(token)
    except accounts.AccountError as error:
        flash(str(error.message), "error")
        return redirect(url_for(".forgot"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data)
        except accounts.AccountError as error:
            _attach(form, error)
        else:
            logout_user()
            flash(_("Votre mot de passe a été modifié. Vous pouvez vous connecter."), "success")
            return redirect(url_for(".login"))
    return render_template("auth/reset.html", form=form)


@bp.route("/compte/adresse-mail", methods=("GET", "POST"))
@form_view
@candidate_required
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            accounts.change_email(signed_in_compte(), form.email.data, form.password.data)
        except accounts.AccountError as error:
            _attach(form, error)
        else:
            logout_user()
            return render_template("auth/check_mail.html", email=form.email.data.strip().lower())
    return render_template("auth/change_email.html", form=form)


@bp.route("/deconnexion", methods=("POST",))
def logout():
    compte = signed_in_compte()
    if compte is not None:
        accounts.end_sessions(compte)
    logout_user()
    flash(_("Vous êtes déconnecté."), "success")
    return redirect(url_for("main.index"))

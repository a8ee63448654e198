"""Console home, login and logout."""
from flask import current_app, flash, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from ecandidat import sso
from ecandidat.accounts import normalise_email
from ecandidat.codes import ROLE
from ecandidat.models import User
from ecandidat.security import check_password
from forms.console import ConsoleLoginForm
from views import sso as sso_views
from views.admin.base import console_user
from views.helpers import safe_next_url
from views.limits import (LOGIN_PER_ACCOUNT, LOGIN_PER_ADDRESS, failed_login, identifier_key,
                          limiter)


def find_user(email):
    """The console user of this address, or None (the login's lookup, and its limit's key)."""
    return User.get_or_none(User.email == normalise_email(email))


def authenticate(email, password):
    """The active console user with this address and password, or None.

    The password is verified even when the address has no account (against a
    dummy hash) or the account is inactive, so the answer time tells nothing."""
    user = find_user(email)
    matches = check_password(user.password_hash if user else None, password)
    if user is None or not matches or not user.actif:
        return None
    return user


class ConsoleIndexView(AdminIndexView):
    """Home of the console; anonymous visitors get the login form."""

    @expose("/")
    def index(self):
        if console_user() is None:
            return redirect(url_for(".login", next=request.full_path))
        return self.render("admin/console_index.html",
                           role_label=ROLE.label(console_user().role))

    @expose("/login", methods=("GET", "POST"))
    @limiter.limit(LOGIN_PER_ADDRESS, methods=["POST"])
    @limiter.limit(LOGIN_PER_ACCOUNT, key_func=identifier_key("email", find_user),
                   methods=["POST"], deduct_when=failed_login)
    def login(self):
        form = ConsoleLoginForm()
        if form.validate_on_submit():
            user = authenticate(form.email.data, form.password.data)
            if user is not None:
                login_user(user)
                return redirect(safe_next_url(request.args.get("next"), url_for(".index")))
            flash(_("Adresse mail ou mot de passe incorrect."), "error")
        return self.render("admin/login.html", form=form,
                           sso_enabled=sso.is_configured(current_app.config))

    @expose("/connexion-etablissement")
    def sso_login(self):
        try:
            return sso_views.start(sso_views.CONSOLE, "admin.sso_callback")
        except sso.SsoError as error:
            flash(str(error.message), "error")
            return redirect(url_for(".login"))

    @expose("/connexion-etablissement/retour")
    @limiter.limit(LOGIN_PER_ADDRESS)
    def sso_callback(self):
        """An existing console user only: roles stay those the console gave."""
        try:
            user = sso.sign_in_console_user(sso_views.finish(sso_views.CONSOLE))
        except sso.SsoError as error:
            flash(str(error.message), "error")
            return redirect(url_for(".login"))
        login_user(user)
        return redirect(url_for(".index"))

    @expose("/logout", methods=("POST",))
    def logout(self):
        user = console_user()
        if user is not None:
            user.rotate_session_token()
            user.save()
        logout_user()
        return redirect(url_for(".login"))

"""Console users: role from a list, scope chosen from lists (a centre for a
gestionnaire, commissions for a member), password set or reset here.

The password hash and the session token are never shown: not in the list, the
details, the search, the filters nor the form. Setting a password or
deactivating the user rotates the session token (every open session ends)."""
from flask import flash, request
from flask_admin.contrib.peewee.filters import FilterEqual
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms.validators import Email, Length

from ecandidat.accounts import normalise_email
from ecandidat.codes import ROLE
from ecandidat.models import (Centre, Commission, CommissionMembre, GestionnaireCentre,
                              GestionnaireCommission, User)
from ecandidat.users import UserError, apply_password, check_scope, new_password, set_scope
from forms.console import centre_field, commissions_field, password_field
from views.admin.base import ConsoleModelView, console_user

SECRET_COLUMNS = User.secret_fields
# The fields of ecandidat.users' refusals → this form's fields.
FORM_FIELDS = {"centre": "scope_centre", "commissions": "scope_commissions",
               "password": "new_password"}
SHOWN = ("email", "nom", "prenom", "role", "actif", "lecture_seule", "must_change_password",
         "created_at")


class UserView(ConsoleModelView):
    labels = {"scope_centre": _l("Centre de candidature"),
              "scope_commissions": _l("Commissions"),
              "new_password": _l("Nouveau mot de passe")}
    column_list = ("email", "nom", "prenom", "role", "actif", "lecture_seule")
    column_details_list = SHOWN
    column_export_list = SHOWN
    column_exclude_list = SECRET_COLUMNS
    column_details_exclude_list = SECRET_COLUMNS
    column_export_exclude_list = SECRET_COLUMNS
    column_searchable_list = ("email", "nom", "prenom")
    choices = {"role": ROLE.choices()}
    column_filters = (FilterEqual(User.role, _l("Rôle"), options=ROLE.choices()),
                      "actif", "lecture_seule")
    column_default_sort = "email"
    form_columns = ("email", "nom", "prenom", "role", "actif", "lecture_seule",
                    "must_change_password")
    form_excluded_columns = SECRET_COLUMNS + ("created_at",)
    form_args = {"email": {"validators": [
        Email(_l("Cette adresse mail n'est pas valide.")),
        Length(max=254, message=_l("L'adresse mail est trop longue."))]}}
    form_extra_fields = {"scope_centre": centre_field(),
                         "scope_commissions": commissions_field(),
                         "new_password": password_field()}

    def create_form(self, obj=None):
        return _with_choices(super().create_form(obj))

    def edit_form(self, obj=None):
        return _with_choices(super().edit_form(obj))

    def on_form_prefill(self, form, id):
        # Only when the page opens: after a refused save, keep what was chosen.
        if request.method != "GET":
            return
        centre = GestionnaireCentre.get_or_none(GestionnaireCentre.user == id)
        form.scope_centre.data = centre.centre_id if centre else None
        form.scope_commissions.data = [m.commission_id for m in CommissionMembre.select().where(
            CommissionMembre.user == id)] + [g.commission_id for g in GestionnaireCommission
                                             .select().where(GestionnaireCommission.user == id)]

    def on_model_change(self, form, model, is_created):
        try:
            self._check_and_apply(form, model, is_created)
        except UserError as refused:
            raise UserError(refused.message, FORM_FIELDS.get(refused.field, refused.field)) \
                from refused

    def _check_and_apply(self, form, model, is_created):
        if not is_created and model.id == console_user().id:
            check_own_account(model)
        model.email = normalise_email(model.email)
        centre = (Centre.get_or_none(Centre.id == form.scope_centre.data)
                  if form.scope_centre.data else None)
        commissions = list(Commission.select().where(
            Commission.id.in_(form.scope_commissions.data or [])))
        check_scope(model.role, centre, commissions)
        form.chosen_scope = (centre, commissions)
        typed = form.new_password.data
        if is_created and not typed:
            raise UserError(_("Choisissez le mot de passe du nouvel utilisateur."), "password")
        if typed:
            apply_password(model, new_password(model, typed))
        if not model.actif:
            # load_user already refuses an inactive user; a new token also makes
            # sure a later reactivation does not revive the old sessions.
            model.rotate_session_token()

    def after_save(self, form, model, is_created):
        set_scope(model, *form.chosen_scope)

    def delete_model(self, model):
        if model.id == console_user().id:
            flash(_("Vous ne pouvez pas supprimer votre propre compte."), "error")
            return False
        return super().delete_model(model)


def check_own_account(model):
    """An administrator editing their own account cannot lock themselves out of the
    console: another administrator must do it."""
    if not model.actif:
        raise UserError(_("Vous ne pouvez pas désactiver votre propre compte."), "actif")
    if model.role != "admin":
        raise UserError(_("Vous ne pouvez pas retirer votre propre rôle d'administrateur."),
                        "role")
    if model.lecture_seule:
        raise UserError(_("Vous ne pouvez pas mettre votre propre compte en lecture seule."),
                        "lecture_seule")


def _with_choices(form):
    form.scope_centre.choices = [(None, "—")] + [
        (c.id, c.libelle) for c in Centre.select().order_by(Centre.libelle)]
    form.scope_commissions.choices = [
        (c.id, f"{c.libelle} ({c.code})") for c in Commission.select().order_by(Commission.libelle)]
    return form

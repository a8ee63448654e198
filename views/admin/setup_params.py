"""Console "Paramétrage" of decisions: types de décision, motivations d'avis, tags,
and which statuts du dossier commissions see.

| screen | administrateur | gestionnaire de centre |
|---|---|---|
| Types de décision | all | — |
| Motivations d'avis | all (common or per centre) | — |
| Tags | all (common or per centre) | their centre's |
| Statuts visibles des commissions | edits | — |
"""
from flask import flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup
from peewee import JOIN
from wtforms import BooleanField
from wtforms.fields import ColorField
from wtforms.validators import Regexp

from ecandidat import codes, permissions
from ecandidat.db import write_transaction
from ecandidat.models import Centre, MotivationAvis, StatutDossierParam, Tag, TypeDecision
from forms.base import BaseForm
from views.admin.base import console_user, read_only
from views.admin.catalog import BLANK, MANAGERS
from views.admin.setup_base import SetupView, selectable

COMMON_DESCRIPTION = _l("Vide : commun à tous les centres.")


def _type_avis(view, context, model, name):
    return codes.TYPE_AVIS.label(model.type_avis)


class TypeDecisionView(SetupView):
    column_list = ("code", "libelle", "type_avis", "definitif", "actif")
    column_details_list = column_list
    form_columns = column_list
    column_searchable_list = ("code", "libelle")
    column_filters = ("actif",)
    column_formatters = {"type_avis": _type_avis}
    choices = {"type_avis": codes.TYPE_AVIS.choices()}

    def scoped(self, scope, query):
        return permissions.visible_to_administrators(scope, query, TypeDecision)


class MotivationView(SetupView):
    column_list = ("code", "libelle", "centre", "actif")
    column_details_list = column_list
    form_columns = column_list
    column_searchable_list = ("code", "libelle")
    column_filters = ("actif",)
    column_descriptions = {"centre": COMMON_DESCRIPTION}
    form_args = {"centre": {"blank_text": BLANK}}
    scoped_selects = {"centre": selectable(Centre)}

    def scoped(self, scope, query):
        return permissions.visible_to_administrators(scope, query, MotivationAvis)


def _couleur(view, context, model, name):
    # The colour as the tag's border (as in the Candidatures list): the text keeps its contrast.
    return Markup('<span class="console-tag" style="border-left-color: {c}">{c}</span>').format(
        c=model.couleur)


class TagView(SetupView):
    roles = edit_roles = create_roles = delete_roles = MANAGERS
    column_list = ("libelle", "couleur", "centre", "actif")
    column_details_list = column_list
    form_columns = column_list
    column_searchable_list = ("libelle",)
    column_filters = ("actif",)
    column_formatters = {"couleur": _couleur}
    column_descriptions = {"centre": COMMON_DESCRIPTION}
    form_overrides = {"couleur": ColorField}
    form_args = {"centre": {"blank_text": BLANK},
                 "couleur": {"validators": [Regexp(
                     r"^#[0-9a-fA-F]{6}$",
                     message=_l("Choisissez une couleur (#rrvvbb)."))]}}
    scoped_selects = {"centre": selectable(Centre, permissions.visible_centres)}
    owner_selects = ("centre",)

    def scoped(self, scope, query):
        return permissions.visible_setup_rows(scope, query, Tag)

    def base_query(self):
        return Tag.select(Tag, Centre).join(Centre, JOIN.LEFT_OUTER).switch(Tag)


# --- statuts du dossier visible des commissions ------------------------------------------

class StatutsForm(BaseForm):
    RE = BooleanField(codes.STATUT_DOSSIER.label("RE"))
    CO = BooleanField(codes.STATUT_DOSSIER.label("CO"))
    IN = BooleanField(codes.STATUT_DOSSIER.label("IN"))


class StatutsCommissionView(BaseView):
    """One checkbox per statut du dossier a commission may see
    (permissions.COMMISSION_STATUTS); AT (not transmitted) is never seen by
    commissions and is shown without a checkbox. A statut without a row is visible."""

    def is_accessible(self):
        user = console_user()
        return user is not None and user.role == "admin"

    def inaccessible_callback(self, name, **kwargs):
        if console_user() is None:
            return redirect(url_for("admin.login", next=request.full_path))
        flash(_("Vous n'avez pas accès à cet écran."), "error")
        return redirect(url_for("admin.index"))

    @expose("/", methods=("GET", "POST"))
    def statuts_view(self):
        rows = {row.code: row.visible_commission for row in StatutDossierParam.select()}
        visible = {code: rows.get(code, True) for code in permissions.COMMISSION_STATUTS}
        form = StatutsForm(data=visible if request.method == "GET" else None)
        if request.method == "POST":
            if read_only():
                flash(_("Votre compte est en lecture seule : rien n'a été modifié."), "error")
                return redirect(url_for(".statuts_view"))
            if form.validate():
                with write_transaction():
                    for code in permissions.COMMISSION_STATUTS:
                        wanted = bool(form[code].data)
                        updated = (StatutDossierParam.update(visible_commission=wanted)
                                   .where(StatutDossierParam.code == code).execute())
                        if not updated:
                            StatutDossierParam.create(code=code, visible_commission=wanted)
                flash(_("Les statuts visibles des commissions sont enregistrés."), "success")
                return redirect(url_for(".statuts_view"))
        return self.render("admin/statuts_commission.html", form=form,
                           read_only=read_only(),
                           never=codes.STATUT_DOSSIER.label("AT"))

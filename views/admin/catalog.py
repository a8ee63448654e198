"""Console views of the training offer: campaigns, centres, commissions,
formations, pièces justificatives and questions.

Who reaches what (views.admin.setup_base, ecandidat.permissions):
- Campagnes: administrateurs only.
- Centres de candidature: administrateurs (all: create, edit, delete); a
  gestionnaire edits their own centre, not its code, libellé nor activation.
- Commissions, Formations: administrateurs (all); a gestionnaire those of their
  centre (create, edit, delete); a membre de commission sees theirs, read-only.
- Pièces justificatives, Questions: administrateurs (all, the common ones
  included); a gestionnaire those of their centre and of its formations.
"""
from flask import request
from flask_admin import expose
from flask_babel import LazyString, gettext as _, lazy_gettext as _l
from markupsafe import Markup
from peewee import JOIN
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import Email, Length, Optional

from ecandidat import codes, letters, permissions
from ecandidat.models import (Adresse, Campagne, Centre, Commission, CommissionMembre, Formation,
                              Pays, TypeDecision, TypeDiplome, User)
from ecandidat.models.catalog import DATE_ORDER_RULES
from views.admin.base import FieldErrors, current_scope
from views.admin.labels import LABELS
from views.admin.setup_base import SetupView, Upload, remove_field, selectable, upload_field

TRAITEMENT_CHOICES = codes.TYPE_TRAITEMENT_FORMATION.choices()
MANAGERS = ("admin", "gestionnaire")
EVERY_ROLE = ("admin", "gestionnaire", "commission")
OPTIONAL_MAIL = [Optional(), Email(_l("Cette adresse mail n'est pas valide.")),
                 Length(max=254, message=_l("L'adresse mail est trop longue."))]
BLANK = "—"
LETTER_MAX = 10000


def _yes_no(view, context, model, name):
    return _("Oui") if getattr(model, name) else _("Non")


def _date(view, context, model, name):
    value = getattr(model, name)
    return value.strftime("%d/%m/%Y") if value else ""


DATE_FIELDS = ("date_debut_depot", "date_fin_depot", "date_preanalyse", "date_retour",
               "date_jury", "date_publication", "date_confirmation", "date_confirmation_lc")
DATE_FORMATTERS = {name: _date for name in DATE_FIELDS + ("date_debut", "date_fin",
                                                           "date_fin_candidat",
                                                           "preselection_date")}


class CampagneView(SetupView):
    """Campaigns: the administrators'."""
    column_list = ("code", "libelle", "date_debut", "date_fin", "en_service")
    column_details_list = ("code", "libelle", "date_debut", "date_fin", "date_fin_candidat",
                           "en_service", "archivee_le")
    column_searchable_list = ("code", "libelle")
    column_formatters = DATE_FORMATTERS
    form_columns = ("code", "libelle", "date_debut", "date_fin", "date_fin_candidat",
                    "en_service")

    def scoped(self, scope, query):
        return permissions.visible_to_administrators(scope, query, Campagne)

    def check(self, form, model, is_created):
        if model.date_debut and model.date_fin and model.date_fin < model.date_debut:
            raise FieldErrors({"date_fin": _l(
                "La fin de la campagne doit être postérieure ou égale à son début.")})
        if (model.date_fin_candidat and model.date_debut
                and model.date_fin_candidat < model.date_debut):
            raise FieldErrors({"date_fin_candidat": _l(
                "La fin de la campagne pour les candidats doit être postérieure ou égale "
                "à son début.")})


# --- centres ---------------------------------------------------------------------------

CENTRE_DATES = tuple(name for name in DATE_FIELDS if name in Centre._meta.fields)


def centre_date_errors(centre):
    """The date-order rules of formations (models.catalog.DATE_ORDER_RULES) applied
    to a centre's default dates, which new formations take."""
    errors = {}
    for later, earlier, message in DATE_ORDER_RULES:
        if later in Centre._meta.fields and earlier in Centre._meta.fields:
            later_value, earlier_value = getattr(centre, later), getattr(centre, earlier)
            if later_value and earlier_value and later_value < earlier_value:
                errors.setdefault(later, message)
    if centre.date_confirmation and centre.delai_confirmation:
        errors.setdefault("delai_confirmation", _l(
            "Indiquez une date de confirmation ou un délai de confirmation, pas les deux."))
    return errors


class CentreView(SetupView):
    roles = edit_roles = MANAGERS
    column_list = ("code", "libelle", "mail_contact", "nb_max_voeux", "date_debut_depot",
                   "date_fin_depot", "actif")
    column_details_list = ("code", "libelle", "actif", "mail_contact", "demat_defaut",
                           "nb_max_voeux", "informations") + CENTRE_DATES + (
                               "delai_confirmation",)
    column_searchable_list = ("code", "libelle")
    column_filters = ("actif",)
    column_formatters = DATE_FORMATTERS
    form_columns = column_details_list
    form_args = {"mail_contact": {"validators": OPTIONAL_MAIL}}
    admin_only_fields = ("code", "libelle", "actif")

    def scoped(self, scope, query):
        return permissions.visible_centres(scope, query)

    def check(self, form, model, is_created):
        errors = centre_date_errors(model)
        if errors:
            raise FieldErrors(errors)


# --- commissions -------------------------------------------------------------------------

ADDRESS_FIELDS = ("adresse_ligne1", "adresse_ligne2", "adresse_ligne3", "adresse_code_postal",
                  "adresse_ville", "adresse_cedex")


def _members(view, context, model, name):
    rows = (CommissionMembre.select(CommissionMembre, User).join(User)
            .where(CommissionMembre.commission == model.id).order_by(User.nom, User.prenom))
    return Markup("<br>").join(
        f"{row.user.prenom} {row.user.nom} <{row.user.email}>"
        + (f" — {_('président')}" if row.president else "") for row in rows)


def _address(view, context, model, name):
    return Markup("<br>").join(model.adresse.lines()) if model.adresse_id else ""


def _signature(view, context, model, name):
    if not model.signature_fichier:
        return _("Aucune")
    url = view.get_url(".signature_view", id=model.id)
    return Markup('<img src="{url}" alt="{alt}" class="console-signature"><br>'
                  '<a href="{url}">{link}</a>').format(
        url=url, alt=_("Image de signature"), link=_("Télécharger l'image de signature"))


def _letter_text(view, context, model, name):
    text = getattr(model, name)
    if not text:
        return _("Texte par défaut")
    return Markup('<pre class="mb-0">{}</pre>').format(text)


def _member_choices(scope):
    """The membres de commission a user may put in a commission: every one for an
    administrator; for a gestionnaire, those already in a commission of their
    scope and those in none yet (not the membres of other centres)."""
    query = User.select().where(User.role == "commission", User.actif)
    if not scope.all:
        in_any = CommissionMembre.select(CommissionMembre.user)
        in_scope = in_any.where(CommissionMembre.commission.in_(sorted(scope.commissions) or [0]))
        query = query.where(User.id.in_(in_scope) | User.id.not_in(in_any))
    return [(u.id, f"{u.prenom} {u.nom} <{u.email}>")
            for u in query.order_by(User.nom, User.prenom)]


def letter_text_args(kind):
    """The form arguments of a commission's letter text (ecandidat.letters): empty
    means the default text, shown as the placeholder."""
    return {"validators": [Optional(), Length(max=LETTER_MAX, message=_l(
                "Le texte tient en %(max)s caractères au plus.", max=LETTER_MAX))],
            "description": _l("Vide : le texte par défaut (affiché en grisé) est utilisé. "
                              "Variables possibles : %(variables)s.",
                              variables=LazyString(letters.variables_help)),
            "render_kw": {"rows": 10, "placeholder": letters.default_text(kind)}}


def _pays_choices():
    return [("", BLANK)] + [(p.code, p.libelle) for p in Pays.select().order_by(Pays.libelle)]


class CommissionView(SetupView):
    roles = EVERY_ROLE
    edit_roles = create_roles = delete_roles = MANAGERS
    column_list = ("code", "libelle", "centre", "mail", "actif")
    column_details_list = ("code", "libelle", "centre", "actif", "membres", "adresse", "mail",
                           "telephone", "url", "signataire", "signature_fichier",
                           "commentaire_retour", "lettre_editable", "lettre_par_mail",
                           "lettre_admission", "lettre_refus", "afficher_commentaire",
                           "alerte_transmission", "alerte_annulation", "alerte_desistement",
                           "alerte_liste_principale", "mail_alerte")
    column_searchable_list = ("code", "libelle")
    column_filters = ("actif",)
    column_formatters = {"membres": _members, "adresse": _address,
                         "signature_fichier": _signature,
                         "lettre_admission": _letter_text, "lettre_refus": _letter_text}
    form_columns = ("code", "libelle", "centre", "actif", "mail", "telephone", "url",
                    "signataire", "commentaire_retour", "lettre_editable", "lettre_par_mail",
                    "lettre_admission", "lettre_refus", "afficher_commentaire",
                    "alerte_transmission", "alerte_annulation", "alerte_desistement",
                    "alerte_liste_principale", "mail_alerte")
    labels = {"lettre_admission": _l("Texte de la lettre d'admission"),
              "lettre_refus": _l("Texte de la lettre de refus")}
    form_args = {"mail": {"validators": OPTIONAL_MAIL},
                 "mail_alerte": {"validators": OPTIONAL_MAIL},
                 **{letters.FIELDS[kind]: letter_text_args(kind) for kind in letters.KINDS}}
    form_extra_fields = {
        "membres": SelectMultipleField(_l("Membres"), coerce=int, choices=[],
                                       validate_choice=True),
        "presidents": SelectMultipleField(
            _l("Présidents"), coerce=int, choices=[],
            description=_l("Parmi les membres : ceux qui président la commission.")),
        **{name: StringField(LABELS[name], validators=[Optional(), Length(max=255)])
           for name in ADDRESS_FIELDS},
        "adresse_pays": SelectField(LABELS["adresse_pays"], choices=[]),
        "signature_upload": upload_field(_l("Nouvelle image de signature"),
                                         _l("Image PNG ou JPEG, apposée sur les lettres.")),
        "signature_supprimer": remove_field(_l("Supprimer l'image de signature")),
    }
    scoped_selects = {"centre": selectable(Centre, permissions.visible_centres)}
    owner_selects = ("centre",)
    uploads = {"signature_upload": Upload("signature_fichier", "signature_supprimer",
                                          images_only=True)}

    def scoped(self, scope, query):
        return permissions.visible_commissions(scope, query)

    def base_query(self):
        return Commission.select(Commission, Centre).join(Centre).switch(Commission)

    def adapt_form(self, form, obj):
        form = super().adapt_form(form, obj)
        form.membres.choices = form.presidents.choices = _member_choices(current_scope())
        form.adresse_pays.choices = _pays_choices()
        if obj is not None and obj.signature_fichier:
            form.signature_upload.description = Markup(
                '{text} <a href="{url}">{link}</a>').format(
                text=form.signature_upload.description,
                url=self.get_url(".signature_view", id=obj.id),
                link=_("Voir l'image actuelle"))
        return form

    def on_form_prefill(self, form, id):
        if request.method != "GET":  # after a refused save, keep what was sent
            return
        commission = self.get_one(id)
        rows = list(CommissionMembre.select().where(CommissionMembre.commission == id))
        form.membres.data = [row.user_id for row in rows]
        form.presidents.data = [row.user_id for row in rows if row.president]
        adresse = commission.adresse if commission.adresse_id else None
        if adresse is not None:
            form.adresse_ligne1.data, form.adresse_ligne2.data, form.adresse_ligne3.data = (
                adresse.adresse1, adresse.adresse2, adresse.adresse3)
            form.adresse_code_postal.data, form.adresse_cedex.data = (
                adresse.code_postal, adresse.cedex)
            form.adresse_ville.data = (adresse.commune.libelle if adresse.commune_id
                                       else adresse.ville_etrangere)
            form.adresse_pays.data = adresse.pays_id or ""

    def check(self, form, model, is_created):
        missing = set(form.presidents.data or []) - set(form.membres.data or [])
        if missing:
            raise FieldErrors({"presidents": _l(
                "Un président doit aussi être membre de la commission.")})
        letter_errors = {}
        for kind in letters.KINDS:  # checked as mail templates are: it must render
            field = letters.FIELDS[kind]
            text = (getattr(model, field) or "").strip()
            setattr(model, field, text or None)  # empty: the default text
            problems = letters.check(text)
            if problems:
                letter_errors[field] = problems[0]
        if letter_errors:
            raise FieldErrors(letter_errors)
        self._apply_address(form, model)

    @staticmethod
    def _apply_address(form, model):
        values = {name: (getattr(form, name).data or "").strip() or None
                  for name in ADDRESS_FIELDS}
        pays = form.adresse_pays.data or None
        form.orphan_address = None
        if not any(values.values()) and not pays:
            if model.adresse_id:
                form.orphan_address = model.adresse_id
                model.adresse = None
            return
        adresse = model.adresse if model.adresse_id else Adresse()
        (adresse.adresse1, adresse.adresse2, adresse.adresse3, adresse.code_postal,
         adresse.cedex) = (values["adresse_ligne1"], values["adresse_ligne2"],
                           values["adresse_ligne3"], values["adresse_code_postal"],
                           values["adresse_cedex"])
        ville = values["adresse_ville"]
        if not (adresse.commune_id and adresse.commune.libelle == ville):
            adresse.commune, adresse.ville_etrangere = None, ville
        adresse.pays = pays
        adresse.save()
        model.adresse = adresse

    def after_save(self, form, model, is_created):
        wanted = set(form.membres.data or [])
        presidents = set(form.presidents.data or [])
        (CommissionMembre.delete().where(CommissionMembre.commission == model.id,
                                         CommissionMembre.user.not_in(sorted(wanted) or [0]))
         .execute())
        kept = {row.user_id: row for row in CommissionMembre.select().where(
            CommissionMembre.commission == model.id)}
        for user_id in sorted(wanted):
            row = kept.get(user_id)
            if row is None:
                CommissionMembre.create(commission=model.id, user=user_id,
                                        president=user_id in presidents)
            elif row.president != (user_id in presidents):
                row.president = user_id in presidents
                row.save()
        if form.orphan_address:
            Adresse.delete().where(Adresse.id == form.orphan_address).execute()

    @expose("/<int:id>/signature")
    def signature_view(self, id):
        return self.send_file_of(id, "signature_upload")


# --- formations --------------------------------------------------------------------------

MODE_CHOICES = [("1", codes.MODE_CANDIDATURE.label("DEMAT")),
                ("0", codes.MODE_CANDIDATURE.label("PAPIER"))]


def _boolean(value):
    return value in (True, "1", "True", "true", "y")


def _mode(view, context, model, name):
    return codes.MODE_CANDIDATURE.label("DEMAT" if model.demat else "PAPIER")


def _favourable_decisions(scope):
    return (TypeDecision.select().where(TypeDecision.type_avis == "FA", TypeDecision.actif)
            .order_by(TypeDecision.libelle))


class FormationView(SetupView):
    roles = EVERY_ROLE
    edit_roles = create_roles = delete_roles = MANAGERS
    column_list = ("code", "libelle", "type_diplome", "commission", "date_debut_depot",
                   "date_fin_depot", "actif")
    form_columns = ("code", "libelle", "type_diplome", "commission", "campagne", "actif",
                    "mots_cles", "demat", "type_traitement", "capacite",
                    "liste_complementaire", "type_decision_fav", "type_decision_fav_lc",
                    "date_debut_depot", "date_fin_depot", "date_preanalyse", "date_retour",
                    "date_jury", "date_publication", "date_confirmation",
                    "delai_confirmation", "date_confirmation_lc", "delai_confirmation_lc",
                    "preselection_date", "preselection_heure", "preselection_lieu", "url",
                    "informations")
    column_details_list = form_columns
    column_searchable_list = ("code", "libelle", "mots_cles")
    column_filters = ("actif", "demat")
    column_default_sort = "libelle"
    column_formatters = {**DATE_FORMATTERS, "demat": _mode}
    choices = {"type_traitement": TRAITEMENT_CHOICES}
    form_overrides = {"demat": SelectField}
    form_args = {"demat": {"choices": MODE_CHOICES, "coerce": _boolean},
                 "campagne": {"blank_text": _l("Toutes les campagnes")},
                 "type_decision_fav": {"blank_text": BLANK},
                 "type_decision_fav_lc": {"blank_text": BLANK}}
    scoped_selects = {
        "commission": selectable(Commission, permissions.visible_commissions),
        "type_diplome": selectable(TypeDiplome, order=(TypeDiplome.ordre, TypeDiplome.libelle)),
        "campagne": selectable(Campagne, order=(Campagne.date_debut.desc(),)),
        "type_decision_fav": _favourable_decisions,
        "type_decision_fav_lc": _favourable_decisions,
    }

    def scoped(self, scope, query):
        return permissions.visible_formations(scope, query)

    def create_form(self, obj=None):
        form = super().create_form(obj)
        scope = current_scope()
        if request.method == "GET" and len(scope.centres) == 1:
            # A new formation starts from its centre's defaults (mode, dates, délai).
            centre = Centre.get_by_id(next(iter(scope.centres)))
            form.demat.data = centre.demat_defaut
            for name in CENTRE_DATES + ("delai_confirmation",):
                if getattr(centre, name) is not None:
                    form[name].data = getattr(centre, name)
        return form

    def base_query(self):
        # The list shows the type de diplôme and the commission: load them with the rows.
        return (Formation.select(Formation, TypeDiplome, Commission)
                .join(TypeDiplome).switch(Formation).join(Commission).switch(Formation))


# --- pièces justificatives and questions -------------------------------------------------

OWNER_DESCRIPTION = _l("Un centre (pour toutes ses formations) ou une formation ; ni l'un ni "
                       "l'autre : commune à toutes les formations (administrateurs).")


def _owner_check(model):
    """A piece or a question belongs to a centre or to a formation, not both; common
    ones (neither) are the administrators' (check_selects refuses them to others)."""
    if model.centre_id and model.formation_id:
        raise FieldErrors({"formation": _l(
            "Choisissez un centre ou une formation, pas les deux.")})


def _owner_selects():
    return {"centre": selectable(Centre, permissions.visible_centres),
            "formation": selectable(Formation, permissions.visible_formations)}


class _CentreOrFormationView(SetupView):
    """Pièces and questions: a centre's, a formation's, or common (administrators)."""
    roles = edit_roles = create_roles = delete_roles = MANAGERS
    column_searchable_list = ("code", "libelle")
    column_filters = ("actif",)
    column_default_sort = "ordre"
    column_descriptions = {"centre": OWNER_DESCRIPTION}
    form_args = {"centre": {"blank_text": BLANK}, "formation": {"blank_text": BLANK}}
    scoped_selects = _owner_selects()

    def scoped(self, scope, query):
        return permissions.visible_setup_rows(scope, query, self.model)

    def base_query(self):
        model = self.model
        return (model.select(model, Centre, Formation)
                .join(Centre, JOIN.LEFT_OUTER).switch(model)
                .join(Formation, JOIN.LEFT_OUTER).switch(model))

    def check_selects(self, model):
        super().check_selects(model)
        if not self.is_admin() and not (model.centre_id or model.formation_id):
            raise FieldErrors({"centre": _l(
                "Choisissez votre centre ou l'une de vos formations : les éléments communs "
                "à toutes les formations sont réservés aux administrateurs.")})

    @staticmethod
    def is_admin():
        return current_scope().all

    def check(self, form, model, is_created):
        _owner_check(model)


def _modele(view, context, model, name):
    if not model.fichier_modele:
        return ""
    return Markup('<a href="{url}">{name}</a>').format(
        url=view.get_url(".modele_view", id=model.id),
        name=model.fichier_modele_nom or _("Fichier modèle"))


class PieceView(_CentreOrFormationView):
    column_list = ("code", "libelle", "centre", "formation", "conditionnelle", "partagee",
                   "ordre", "actif")
    form_columns = ("code", "libelle", "centre", "formation", "conditionnelle", "partagee",
                    "type_traitement", "ordre", "actif")
    column_details_list = form_columns + ("fichier_modele",)
    column_formatters = {"fichier_modele": _modele}
    choices = {"type_traitement": [("", _l("Tous"))] + TRAITEMENT_CHOICES}
    form_extra_fields = {
        "fichier_modele_upload": upload_field(
            _l("Nouveau fichier modèle"),
            _l("PDF, JPEG ou PNG que le candidat télécharge pour le remplir.")),
        "fichier_modele_supprimer": remove_field(_l("Supprimer le fichier modèle")),
    }
    uploads = {"fichier_modele_upload": Upload("fichier_modele", "fichier_modele_supprimer",
                                               name_column="fichier_modele_nom")}

    def adapt_form(self, form, obj):
        form = super().adapt_form(form, obj)
        if obj is not None and obj.fichier_modele:
            form.fichier_modele_upload.description = Markup(
                '{text} <a href="{url}">{link}</a>').format(
                text=form.fichier_modele_upload.description,
                url=self.get_url(".modele_view", id=obj.id),
                link=_("Télécharger le fichier actuel (%(nom)s)",
                       nom=obj.fichier_modele_nom or ""))
        return form

    def check(self, form, model, is_created):
        super().check(form, model, is_created)
        # "Tous" is stored as NULL: workflow.pieces_asked reads NULL as "any treatment".
        model.type_traitement = model.type_traitement or None

    @expose("/<int:id>/modele")
    def modele_view(self, id):
        return self.send_file_of(id, "fichier_modele_upload")


class QuestionView(_CentreOrFormationView):
    column_list = ("code", "libelle", "type", "centre", "formation", "obligatoire", "ordre",
                   "actif")
    form_columns = ("code", "libelle", "type", "choix", "centre", "formation", "obligatoire",
                    "ordre", "actif")
    column_details_list = form_columns
    choices = {"type": codes.TYPE_QUESTION.choices()}
    column_descriptions = {**_CentreOrFormationView.column_descriptions,
                           "choix": _l("Pour une question à choix : un choix par ligne.")}
    form_widget_args = {"choix": {"rows": 4}}

    def check(self, form, model, is_created):
        super().check(form, model, is_created)
        if model.type == "C" and not model.options():
            raise FieldErrors({"choix": _l("Indiquez les choix possibles, un par ligne.")})

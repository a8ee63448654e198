"""Console "Candidatures": the list and the "Ouvrir" page of the candidatures a
gestionnaire de centre, a membre de commission or an administrateur may see.

Read-only for now (actions come with the workflow's console transitions). Every
row, page and file goes through ecandidat.permissions: the list (get_query),
its count (get_count_query), the details and the piece files (get_one); an id
outside the scope answers 404."""
import json

from flask import abort, g, request, url_for
from flask_admin import expose
from flask_admin.contrib.peewee.filters import FilterEqual
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from peewee import JOIN

from ecandidat import codes, permissions, workflow
from ecandidat.models import (AuditLog, Avis, Candidat, Candidature, Commission, CompteCandidat,
                              Formation, MotivationAvis, PieceCandidat, ReponseQuestion, User)
from ecandidat.pdf import dossier_context
from views.admin.base import ConsoleModelView, current_scope
from views.admin.exports import CandidatureOutputsMixin
from views.files import send_private_file

CONSOLE_ROLES = ("admin", "gestionnaire", "commission")


def _code_label(codes_set):
    return lambda view, context, model, name: codes_set.label(getattr(model, name))


def _numero(view, context, model, name):
    numero = model.candidat.compte.numero_dossier
    return Markup('<a href="{url}" title="{title}">{numero}</a>').format(
        url=url_for(".details_view", id=model.id), numero=numero,
        title=_l("Ouvrir la candidature %(numero)s", numero=numero))


def _traitement(view, context, model, name):
    label = codes.TYPE_TRAITEMENT.label(model.type_traitement)
    state = _l("validé") if model.type_traitement_valide else _l("non validé")
    return f"{label} ({state})"


def _dernier_avis(view, context, model, name):
    avis = g.get("last_avis", {}).get(model.id)
    if avis is None:
        return ""
    state = _l("validé") if avis.valide else _l("non validé")
    return f"{codes.TYPE_AVIS.label(avis.type_avis)} ({state})"


def _moment(view, context, model, name):
    value = getattr(model, name)
    return value.strftime("%d/%m/%Y %H:%M") if value else ""


class CandidatureView(CandidatureOutputsMixin, ConsoleModelView):
    """The candidatures of the user's scope; "Ouvrir" shows the whole file."""
    roles = CONSOLE_ROLES
    allow_create = allow_edit = allow_delete = False
    can_export = False
    action_disallowed_list = ["delete"]
    details_template = "admin/candidature_details.html"
    page_size = 50

    column_list = ("numero_dossier", "nom", "prenom", "formation", "statut",
                   "type_traitement", "dernier_avis", "confirmation", "date_transmission")
    # Unused by the "Ouvrir" page (its own template), listed so no raw name can show.
    column_details_list = column_list
    column_sortable_list = (
        ("numero_dossier", CompteCandidat.numero_dossier),
        ("nom", Candidat.nom_patronymique), ("prenom", Candidat.prenom),
        ("formation", Formation.libelle), "statut", "type_traitement", "confirmation",
        "date_transmission")
    column_default_sort = ("date_transmission", True)
    column_searchable_list = (CompteCandidat.numero_dossier, Candidat.nom_patronymique,
                              Candidat.nom_usuel, Formation.libelle)
    column_formatters = {
        "numero_dossier": _numero,
        "nom": lambda v, c, m, n: m.candidat.nom_usuel or m.candidat.nom_patronymique,
        "prenom": lambda v, c, m, n: m.candidat.prenom,
        "formation": lambda v, c, m, n: m.formation.libelle,
        "statut": _code_label(codes.STATUT_DOSSIER),
        "type_traitement": _traitement,
        "dernier_avis": _dernier_avis,
        "confirmation": _code_label(codes.CONFIRMATION),
        "date_transmission": _moment,
    }
    column_filters = (
        FilterEqual(Candidature.statut, _l("Statut du dossier"),
                    options=codes.STATUT_DOSSIER.choices()),
        Formation.libelle,
        FilterEqual(Candidature.type_traitement, _l("Type de traitement"),
                    options=codes.TYPE_TRAITEMENT.choices()),
    )
    form_columns = ("bloc_notes",)
    labels = {
        "numero_dossier": _l("N° de dossier"),
        "statut": _l("Statut du dossier"),
        "dernier_avis": _l("Dernier avis"),
        "confirmation": _l("Confirmation"),
        "date_transmission": _l("Date de transmission"),
        "bloc_notes": _l("Bloc-notes"),
        "Formation": _l("Formation"),
    }
    # Models joined by get_query: Flask-Admin must not join them a second time
    # for a search, a filter or a sort on one of their fields.
    joined = {Candidat, CompteCandidat, Formation, Commission}

    # --- scope -------------------------------------------------------------------------

    def get_query(self):
        return permissions.visible_candidatures(current_scope(), self._joined_query())

    @staticmethod
    def _joined_query():
        return (Candidature.select(Candidature, Candidat, CompteCandidat, Formation, Commission)
                .join(Candidat).join(CompteCandidat)
                .switch(Candidature).join(Formation).join(Commission)
                .switch(Candidature))

    def get_count_query(self):
        # The peewee backend counts get_query's filtered query; kept scoped for any caller.
        return permissions.visible_candidatures(current_scope(), Candidature.select())

    def get_one(self, id):
        return permissions.visible_candidature(current_scope(), id, self._joined_query())

    def _handle_join(self, query, field, joins):
        if getattr(field, "model", None) in self.joined:
            return query
        return super()._handle_join(query, field, joins)

    def get_list(self, *args, **kwargs):
        """The page's rows, and their last avis in one more query (kept per request)."""
        count, rows = super().get_list(*args, **kwargs)
        if isinstance(rows, list):
            g.last_avis = workflow.last_avis_by_candidature([row.id for row in rows])
        return count, rows

    # --- Ouvrir ------------------------------------------------------------------------

    @expose("/details/")
    def details_view(self):
        candidature = self.get_one(request.args.get("id"))
        if candidature is None:
            abort(404)
        context = dossier_context(candidature)
        return self.render(
            self.details_template, **context,
            date_confirmation=workflow.date_confirmation(candidature),
            avis_history=_avis_history(candidature), timeline=_timeline(candidature, context),
            return_url=url_for(".index_view"))

    @expose("/<int:candidature_id>/pieces/<int:piece_id>/fichier")
    def fichier_view(self, candidature_id, piece_id):
        """A piece's file, opened from "Ouvrir": scope checked again, 404 otherwise."""
        candidature = self.get_one(candidature_id)
        if candidature is None:
            abort(404)
        for piece, row in workflow.piece_rows(candidature):
            if piece.id == piece_id and row is not None and row.fichier:
                return send_private_file(row.fichier, row.nom_original, row.type_mime)
        abort(404)


def _avis_history(candidature):
    """Every avis of the candidature, newest first, with who entered and validated it."""
    saisi_par, valide_par = User.alias(), User.alias()
    return list(Avis.select(Avis, MotivationAvis, saisi_par, valide_par)
                .join_from(Avis, MotivationAvis, JOIN.LEFT_OUTER)
                .join_from(Avis, saisi_par, JOIN.LEFT_OUTER,
                           on=(Avis.created_by == saisi_par.id), attr="created_by")
                .join_from(Avis, valide_par, JOIN.LEFT_OUTER,
                           on=(Avis.valide_par == valide_par.id), attr="valide_par")
                .where(Avis.candidature == candidature.id)
                .order_by(Avis.id.desc()))


def _timeline(candidature, context):
    """The audit rows of the candidature, of the piece rows it shows (its own and the
    candidate's shared ones) and of its answers, oldest first, with their values
    before and after decoded."""
    piece_ids = [row.id for _piece, row in context["pieces"] if row is not None]
    answer_ids = [row.id for _question, row in context["questions"] if row is not None]
    where = (AuditLog.table == Candidature._meta.table_name) & (
        AuditLog.record_id == candidature.id)
    if piece_ids:
        where |= (AuditLog.table == PieceCandidat._meta.table_name) & (
            AuditLog.record_id.in_(piece_ids))
    if answer_ids:
        where |= (AuditLog.table == ReponseQuestion._meta.table_name) & (
            AuditLog.record_id.in_(answer_ids))
    return [(row, _decoded(row.before), _decoded(row.after))
            for row in AuditLog.select().where(where).order_by(AuditLog.id)]


def _decoded(values):
    return json.loads(values) if values else {}

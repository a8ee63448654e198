"""Console views of the training offer: campaigns, centres, commissions,
formations and pièces justificatives (administrators)."""
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from ecandidat.codes import TYPE_TRAITEMENT_FORMATION
from ecandidat.models import Centre, Commission, Formation, PieceJustificative, TypeDiplome
from views.admin.base import ConsoleModelView

TRAITEMENT_CHOICES = TYPE_TRAITEMENT_FORMATION.choices()


class CampagneView(ConsoleModelView):
    column_list = ("code", "libelle", "date_debut", "date_fin", "en_service")
    column_searchable_list = ("code", "libelle")
    form_excluded_columns = ("archivee_le",)


class CentreView(ConsoleModelView):
    column_list = ("code", "libelle", "mail_contact", "actif")
    column_searchable_list = ("code", "libelle")
    column_filters = ("actif",)


class CommissionView(ConsoleModelView):
    column_list = ("code", "libelle", "centre", "mail", "actif")
    column_searchable_list = ("code", "libelle")
    column_filters = ("actif",)
    # The address is a row of its own (shared model with candidates' addresses) and
    # the signature an uploaded file: neither is edited through a plain select here.
    form_excluded_columns = ("adresse", "signature_fichier")
    column_details_exclude_list = ("signature_fichier",)

    def get_query(self):
        return Commission.select(Commission, Centre).join(Centre).switch(Commission)


class FormationView(ConsoleModelView):
    column_list = ("code", "libelle", "type_diplome", "commission", "date_debut_depot",
                   "date_fin_depot", "actif")
    column_searchable_list = ("code", "libelle", "mots_cles")
    column_filters = ("actif", "demat")
    column_default_sort = "libelle"
    choices = {"type_traitement": TRAITEMENT_CHOICES}

    def get_query(self):
        # The list shows the type de diplôme and the commission: load them with the rows.
        return (Formation.select(Formation, TypeDiplome, Commission)
                .join(TypeDiplome).switch(Formation).join(Commission).switch(Formation))


class PieceView(ConsoleModelView):
    column_list = ("code", "libelle", "centre", "formation", "conditionnelle", "partagee",
                   "ordre", "actif")
    column_searchable_list = ("code", "libelle")
    column_filters = ("actif", "partagee")
    column_default_sort = "ordre"
    column_descriptions = {"centre": _l("Vide avec la formation vide : demandée pour toutes "
                                        "les formations.")}
    choices = {"type_traitement": [("", _l("Tous"))] + TRAITEMENT_CHOICES}
    # Stored file names: the model file is uploaded elsewhere, never typed in.
    form_excluded_columns = ("fichier_modele", "fichier_modele_nom")

    def get_query(self):
        piece = PieceJustificative
        return (piece.select(piece, Centre, Formation)
                .join(Centre, JOIN.LEFT_OUTER).switch(piece)
                .join(Formation, JOIN.LEFT_OUTER).switch(piece))

    def on_model_change(self, form, model, is_created):
        # "Tous" is stored as NULL: workflow.pieces_asked reads NULL as "any treatment".
        model.type_traitement = model.type_traitement or None

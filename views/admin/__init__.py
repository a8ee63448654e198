"""The Flask-Admin console at /admin/: login, and views declared per role.

views.admin.base holds what every view shares (access, CSRF, read-only,
French errors, safe deletes); one module per group of screens."""
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from ecandidat import models
from views import form_view
from views.admin.catalog import (CampagneView, CentreView, CommissionView, FormationView,
                                 PieceView, QuestionView)
from views.admin.candidatures import CandidatureView
from views.admin.dashboard import DashboardView
from views.admin.index import ConsoleIndexView
from views.admin.mail_templates import MailTemplateView
from views.admin.setup_params import (MotivationView, StatutsCommissionView, TagView,
                                      TypeDecisionView)
from views.admin.users import UserView

# Flask-Admin's create and edit views change nothing unless their form (a
# forms.base.BaseForm) validates, CSRF token included: the form checks the token
# itself, so an expired one brings the page back with what was typed and why.
FORM_VIEWS = ("flask_admin.model.base.create_view", "flask_admin.model.base.edit_view",
              "views.admin.setup_params.statuts_view")


def init_admin(app):
    for view in FORM_VIEWS:
        form_view(view)
    admin = Admin(app, name=_l("eCandidat — console"),
                  index_view=ConsoleIndexView(name=_l("Accueil"), url="/admin"),
                  theme=Bootstrap4Theme(swatch="default",
                                        base_template="admin/console_base.html"))
    # First in the menu: the work of gestionnaires and membres de commission.
    admin.add_view(CandidatureView(models.Candidature, name=_l("Candidatures"),
                                   endpoint="candidature"))
    admin.add_view(DashboardView(name=_l("Tableau de bord")))
    catalogue = _l("Offre de formation")
    admin.add_view(CampagneView(models.Campagne, name=_l("Campagnes"), category=catalogue))
    admin.add_view(CentreView(models.Centre, name=_l("Centres de candidature"),
                              category=catalogue))
    admin.add_view(CommissionView(models.Commission, name=_l("Commissions"),
                                  category=catalogue))
    admin.add_view(FormationView(models.Formation, name=_l("Formations"), category=catalogue))
    admin.add_view(PieceView(models.PieceJustificative, name=_l("Pièces justificatives"),
                             category=catalogue))
    admin.add_view(QuestionView(models.Question, name=_l("Questions"), category=catalogue))
    parametrage = _l("Paramétrage")
    admin.add_view(MailTemplateView(models.MailTemplate, name=_l("Modèles de mail"),
                                    category=parametrage))
    admin.add_view(UserView(models.User, name=_l("Utilisateurs"), category=parametrage))
    admin.add_view(TypeDecisionView(models.TypeDecision, name=_l("Types de décision"),
                                    category=parametrage))
    admin.add_view(MotivationView(models.MotivationAvis, name=_l("Motivations d'avis"),
                                  category=parametrage))
    admin.add_view(TagView(models.Tag, name=_l("Tags"), category=parametrage))
    admin.add_view(StatutsCommissionView(name=_l("Statuts visibles des commissions"),
                                         endpoint="statutscommission",
                                         category=parametrage))
    return admin

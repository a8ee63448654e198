"""Console "Tableau de bord": per formation of the user's scope, the candidatures
by statut du dossier and by dernier avis (validé or not), confirmées, désistées
(with the reasons given), annulées, the length of the liste complémentaire and
the capacité d'accueil (ecandidat.exports.formation_stats: a few aggregate
queries whatever the number of formations)."""
from flask_admin import BaseView, expose

from ecandidat import codes, exports
from views.admin.base import ConsoleAccess, current_scope

CONSOLE_ROLES = ("admin", "gestionnaire", "commission")


class DashboardView(ConsoleAccess, BaseView):
    """Open to every console role; each sees the formations of their scope."""
    roles = CONSOLE_ROLES

    def __init__(self, name, endpoint="tableau_de_bord", url="tableau-de-bord", **kwargs):
        super().__init__(name, endpoint=endpoint, url=url, **kwargs)

    @expose("/")
    def index(self):
        rows, total = exports.formation_stats(current_scope())
        return self.render("admin/dashboard.html", rows=rows, total=total,
                           statuts=codes.STATUT_DOSSIER, types_avis=codes.TYPE_AVIS,
                           show_annulees=total.annulees is not None)

"""Console "Tableau de bord": per formation of the user's scope, the candidatures
by statut du dossier and by dernier avis (validé or not), confirmées, désistées,
annulées and the capacité d'accueil (ecandidat.exports.formation_stats: a few
aggregate queries whatever the number of formations)."""
from flask import flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _

from ecandidat import codes, exports
from views.admin.base import console_user, current_scope

CONSOLE_ROLES = ("admin", "gestionnaire", "commission")


class DashboardView(BaseView):
    """Open to every console role; each sees the formations of their scope."""
    roles = CONSOLE_ROLES

    def __init__(self, name, endpoint="tableau_de_bord", url="tableau-de-bord", **kwargs):
        super().__init__(name, endpoint=endpoint, url=url, **kwargs)

    def is_accessible(self):
        user = console_user()
        return user is not None and user.role in self.roles

    def inaccessible_callback(self, name, **kwargs):
        if console_user() is None:
            return redirect(url_for("admin.login", next=request.full_path))
        flash(_("Vous n'avez pas accès à cet écran."), "error")
        return redirect(url_for("admin.index"))

    @expose("/")
    def index(self):
        rows, total = exports.formation_stats(current_scope())
        return self.render("admin/dashboard.html", rows=rows, total=total,
                           statuts=codes.STATUT_DOSSIER, types_avis=codes.TYPE_AVIS,
                           show_annulees=total.annulees is not None)

"""The guide's left menu, declared as data and filtered by who is signed in."""
import secrets
from collections import namedtuple

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from ecandidat.i18n import current_language
from views.helpers import signed_in_compte
from views.templating import rendered_once

# (endpoint, label, audience, is a sub-entry of "Mon compte", is a POST action)
MENU = (
    ("main.index", _l("Accueil"), "all", False, False),
    ("main.assistance", _l("Assistance"), "all", False, False),
    ("catalog.offre", _l("Offre de formation"), "all", False, False),
    ("auth.login", _l("Connexion"), "anonymous", False, False),
    ("auth.register", _l("Créer un compte"), "anonymous", False, False),
    ("auth.logout", _l("Déconnexion"), "candidate", False, True),
    ("profile.summary", _l("Mon compte"), "candidate", False, False),
    ("profile.infos_perso", _l("Informations perso."), "candidate", True, False),
    ("profile.adresse", _l("Adresse"), "candidate", True, False),
    ("profile.bac", _l("Baccalauréat"), "candidate", True, False),
    ("profile.cursus_interne", _l("Cursus interne"), "candidate", True, False),
    ("profile.cursus_externe", _l("Cursus externe"), "candidate", True, False),
    ("profile.stages", _l("Stages"), "candidate", True, False),
    ("profile.experiences", _l("Expériences pro."), "candidate", True, False),
    ("candidatures.liste", _l("Candidatures"), "candidate", True, False),
)


def _audience():
    return "candidate" if signed_in_compte() is not None else "anonymous"


# Attributes, not dict keys: Jinja tries `getattr` first, and a dict's miss raises.
MenuItem = namedtuple("MenuItem", "url label sub post current")


def main_menu_items(audience):
    """The entries of an audience's menu, the current page marked."""
    current = request.endpoint
    return [MenuItem(url_for(endpoint), str(label), sub, post, current == endpoint)
            for endpoint, label, who, sub, post in MENU
            if who in ("all", audience) and endpoint in current_app.view_functions]


# Where the request's CSRF token goes in the menu rendered once (the logout form):
# random, so that no label or URL can hold it.
TOKEN_HOLE = f"csrf-{secrets.token_hex(16)}"


def main_menu_html():
    """The menu's HTML, rendered once per audience and current page (and language and
    script root: rendered_once), with this request's CSRF token put in: its URLs and
    labels are the same on every page."""
    audience = _audience()
    html = rendered_once("_main_menu.html", (audience, request.endpoint), lambda: {
        "items": main_menu_items(audience), "token": TOKEN_HOLE})
    return Markup(html.replace(TOKEN_HOLE, generate_csrf())) if TOKEN_HOLE in html else html


def init_menu(app):
    @app.context_processor
    def _menu_globals():
        return {"main_menu_html": main_menu_html, "current_locale": current_language,
                "endpoints": current_app.view_functions}

"""French error pages: one template, a title and a message per HTTP code.

Registered after the blueprints, so these handlers are the application's (a
blueprint's `app_errorhandler` for the same code is replaced). The 500 page
renders without the database, which may be what failed: no menu, no context
processors (Flask-Login's loads the signed-in account), the default language."""
import logging

from flask import current_app, render_template, request
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from peewee import DataError
from werkzeug.exceptions import HTTPException

from ecandidat import storage
from forms.base import CSRF_MESSAGE

log = logging.getLogger(__name__)

PAGES = {
    400: (_l("Requête invalide"),
          _l("Les informations envoyées n'ont pas pu être lues. Vérifiez votre saisie et "
             "réessayez.")),
    403: (_l("Accès refusé"),
          _l("Vous n'avez pas le droit d'accéder à cette page ou de faire cette action.")),
    404: (_l("Page introuvable"),
          _l("Cette page n'existe pas ou plus. Vérifiez l'adresse, ou repartez de l'accueil.")),
    405: (_l("Action non permise"),
          _l("Cette page ne peut pas être utilisée de cette façon. Repartez de la page "
             "précédente et utilisez ses boutons.")),
    413: (_l("Envoi trop volumineux"), None),  # the message names the limit, see _message
    429: (_l("Trop de tentatives"),
          _l("Vous avez fait trop de tentatives en peu de temps. Patientez quelques minutes "
             "puis réessayez.")),
    500: (_l("Erreur interne"),
          _l("Une erreur inattendue s'est produite de notre côté ; rien n'a été enregistré "
             "pour cette action. Réessayez dans quelques instants.")),
}
# The database refused a value (NUL character, text too long for its column…).
DATA_MESSAGE = _l("Une valeur envoyée n'est pas acceptée (caractère invisible ou texte trop "
                  "long). Vérifiez votre saisie et réessayez.")


def _back():
    """The page the person came from, when it is one of ours."""
    referrer = request.referrer
    if referrer and referrer.startswith(request.host_url) and referrer != request.url:
        return referrer
    return None


def _message(code):
    if code == 413:
        # Werkzeug refused the body before any view: only its type is known.
        if request.mimetype == "multipart/form-data":
            return _("Le fichier dépasse la taille maximale de %(mb)s Mo.",
                     mb=storage.max_bytes() // (1024 * 1024))
        return _("Les données envoyées sont trop volumineuses.")
    return str(PAGES[code][1])


def error_page(code, message=None):
    return render_template("errors/error.html", code=code, title=str(PAGES[code][0]),
                           message=message or _message(code), back=_back()), code


def _internal_error_page():
    locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        page = current_app.jinja_env.get_template("errors/error.html").render(
            code=500, title=str(PAGES[500][0]), message=str(PAGES[500][1]), back=None,
            minimal=True, current_locale=lambda: locale)
    return page, 500


def init_errors(app):
    for code in PAGES:
        if code != 500:
            app.register_error_handler(code, _http_error)

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        # A POST outside a BaseForm view (a button form): nothing typed to keep.
        return error_page(400, str(CSRF_MESSAGE))

    @app.errorhandler(DataError)
    def _data_error(error):
        log.warning("Valeur refusée par la base de données sur %s : %s", request.path, error)
        return error_page(400, str(DATA_MESSAGE))

    @app.errorhandler(500)
    def _internal_error(error):
        return _internal_error_page()


def _http_error(error: HTTPException):
    body, code = error_page(error.code)
    # Keep what HTTP asks of some codes (Allow for 405, Retry-After for 429…).
    return body, code, error.get_headers()

"""Languages of the interface: French (the source text) and English (translations/).

The English catalogue is translations/en/LC_MESSAGES/messages.po; its compiled .mo is
built by `make` (and by the tests when missing or older), never committed: a .mo
out of step with its .po would show old texts without anyone noticing."""
import os

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRANSLATIONS = os.path.join(ROOT, "translations")
# Each language named in its own language: the switch offers them so.
NAMES = {"fr": "Français", "en": "English"}
# Where a visitor's choice is kept (the signed cookie session): it outlives a logout.
LANGUAGE_SESSION_KEY = "langue"


def catalogue_paths(language, directory=TRANSLATIONS):
    base = os.path.join(directory, language, "LC_MESSAGES", "messages")
    return base + ".po", base + ".mo"


def compile_if_stale(directory=TRANSLATIONS):
    """Compile each .po whose .mo is missing or older (fuzzy entries left out, as
    `pybabel compile` does). Returns the languages compiled."""
    compiled = []
    if not os.path.isdir(directory):
        return compiled
    for language in sorted(os.listdir(directory)):
        po_path, mo_path = catalogue_paths(language, directory)
        if not os.path.isfile(po_path):
            continue
        if os.path.isfile(mo_path) and os.path.getmtime(mo_path) >= os.path.getmtime(po_path):
            continue
        with open(po_path, "rb") as source:
            catalogue = read_po(source, locale=language)
        temporary = f"{mo_path}.{os.getpid()}"
        with open(temporary, "wb") as target:
            write_mo(target, catalogue)
        os.replace(temporary, mo_path)
        compiled.append(language)
    return compiled


def _language_state():
    """(locale, its catalogue, its code) of the current language, looked up once per
    language and request.

    Flask-Babel's own callables look the catalogue up at every `_()`: five walks
    through `g` each. Keyed by the locale object, so that a mail rendered under
    `force_locale` (another language) gets its own. Reads Flask-Babel's per-context
    state (the `babel_locale` force_locale sets) straight from `g`, as its
    get_locale does."""
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        locale = get_locale()
        return locale, get_translations(), str(locale) if locale else None
    state = app_ctx.g.__dict__
    locale = getattr(state.get("_flask_babel"), "babel_locale", None) or get_locale()
    memo = state.get("_ecandidat_language")
    if memo is None or memo[0] is not locale:
        memo = state["_ecandidat_language"] = (locale, get_translations(), str(locale))
    return memo


def request_translations():
    """The catalogue of the current language (_language_state)."""
    return _language_state()[1]


def gettext(string, **variables):
    """flask_babel.gettext, with the catalogue of _language_state."""
    text = _language_state()[1].ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string, **variables):
    """flask_babel.lazy_gettext (the same LazyString), translated by `gettext`: the
    labels of codes shown in lists (a status, an avis) are read on every row."""
    return LazyString(gettext, string, **variables)


def current_language():
    """The current language's code ("fr", "en"): `str(flask_babel.get_locale())`."""
    return _language_state()[2]


def normalized(language, languages):
    """`language` if it is one the interface offers, else None."""
    return language if language in languages else None


def languages():
    from flask import current_app
    return tuple(current_app.config["LANGUAGES"])


def institution_language():
    """The institution's language: stored dossiers, mails to the staff."""
    return languages()[0]


def language_of(account):
    """The language `account` (a CompteCandidat or a console User) reads: the one it
    chose, else the institution's."""
    return normalized(getattr(account, "langue", None), languages()) or institution_language()


# A moment with its hour, the way each language writes it ("3 juin 2025 à 14:30",
# "3 June 2025 at 14:30"): Babel's "long" formats add seconds and the zone.
MOMENT_PATTERNS = {"fr": "d MMMM yyyy 'à' HH:mm", "en": "d MMMM yyyy 'at' HH:mm"}


def format_moment(value):
    from flask_babel import format_datetime, get_locale
    language = str(get_locale())
    return format_datetime(value, MOMENT_PATTERNS.get(language, MOMENT_PATTERNS["fr"]))


def choose_language(account, language):
    """Remember `language` on the signed-in `account` (a CompteCandidat and its
    Candidat, or a console User); None for a visitor."""
    from ecandidat.models import Candidat, CompteCandidat, User
    if isinstance(account, CompteCandidat):
        CompteCandidat.update(langue=language).where(CompteCandidat.id == account.id).execute()
        Candidat.update(langue=language).where(Candidat.compte == account.id).execute()
    elif isinstance(account, User):
        User.update(langue=language).where(User.id == account.id).execute()
    if account is not None:
        account.langue = language


def country_name(iso2, french_name):
    """A country's name in the reader's language. The referential's names are French
    (INSEE); the other languages' come from Babel's CLDR data, by ISO 3166 alpha-2 code
    (Pays.iso2), and the French name stays when CLDR has none."""
    from flask import has_app_context
    from flask_babel import get_locale
    locale = get_locale() if has_app_context() else None
    if locale is None or locale.language == "fr" or not iso2:
        return french_name
    return locale.territories.get(iso2.upper()) or french_name

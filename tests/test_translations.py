"""CI fails on a missing English translation (issue 10): every message of the code is
in translations/en/LC_MESSAGES/messages.po, translated, not fuzzy, with the same
placeholders; the compiled catalogue is the one the app reads."""
import os

from babel.messages.catalog import Catalog
from flask_babel import force_locale, gettext

from ecandidat import i18n
from tools import check_translations


def test_every_message_of_the_code_has_its_english_translation():
    problems = check_translations.check("en")
    listing = "\n".join(f"{kind}: {msgid!r}" for kind, msgid in problems)
    assert not problems, (f"{len(problems)} message(s) sans traduction anglaise correcte "
                          f"(make messages, puis traduire translations/en/LC_MESSAGES/"
                          f"messages.po) :\n{listing}")


def _catalogue(entries, fuzzy=()):
    catalogue = Catalog(locale="en", fuzzy=False)
    for msgid, msgstr in entries.items():
        catalogue.add(msgid, msgstr, flags=("fuzzy",) if msgid in fuzzy else ())
    return catalogue


def test_the_check_names_each_kind_of_problem():
    template = Catalog()
    for msgid in ("Accueil", "Absent du catalogue", "Pas traduit", "À revoir",
                  "Bonjour %(nom)s", "Variable {{ prenom }}", "Bien traduit %(n)s"):
        template.add(msgid)
    catalogue = _catalogue({"Accueil": "Home", "Pas traduit": "", "À revoir": "To review",
                            "Bonjour %(nom)s": "Hello %(name)s",
                            "Variable {{ prenom }}": "Variable {{ first_name }}",
                            "Bien traduit %(n)s": "Well translated %(n)s"},
                           fuzzy=("À revoir",))
    assert check_translations.problems(template, catalogue) == [
        ("absent", "Absent du catalogue"), ("non traduit", "Pas traduit"),
        ("fuzzy", "À revoir"), ("variables différentes", "Bonjour %(nom)s"),
        ("variables différentes", "Variable {{ prenom }}")]


def test_a_fuzzy_catalogue_header_is_a_problem():
    catalogue = Catalog(locale="en", fuzzy=True)
    assert ("fuzzy", "(en-tête du catalogue)") in check_translations.problems(Catalog(),
                                                                              catalogue)


def test_the_compiled_catalogue_is_current_and_read_by_the_app(app):
    po_path, mo_path = i18n.catalogue_paths("en")
    i18n.compile_if_stale()
    assert os.path.getmtime(mo_path) >= os.path.getmtime(po_path)
    with app.test_request_context(), force_locale("en"):
        assert gettext("Accueil") == "Home"
        assert gettext("Langue") == "Language"
    with app.test_request_context(), force_locale("fr"):
        assert gettext("Accueil") == "Accueil"

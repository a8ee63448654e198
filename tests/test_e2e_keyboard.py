"""The main flows with the keyboard alone, in a real browser with CSRF on: Tab,
Shift+Tab, Enter, Space, Escape and typing (selectors only say what has the focus).

Every element the focus reaches must show it (an outline or a box-shadow), the focus
must follow the page's order (skip link first), leave every menu and come back to
the top of the page (no trap), and the phone menu must open and close by keyboard."""
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from ecandidat.models import (Candidature, Formation, PieceCandidat, PieceJustificative,
                              Question, Stage)
from ecandidat.users import create_user
from factories import PDF_BYTES, complete_candidat, open_formation
from test_console import STRONG

PASSWORD = "un mot de passe solide"
# What has the focus: its name as a user hears it, whether the focus is visible, its
# place in the document (the tab order must follow it).
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return null;
  const style = getComputedStyle(e);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = !!style.boxShadow && style.boxShadow !== "none";
  const label = e.getAttribute("aria-label")
    || (e.labels && e.labels.length ? e.labels[0].textContent : "")
    || (e.tagName === "INPUT" ? e.value : e.textContent) || e.getAttribute("title") || "";
  return {name: label.replace(/\\s+/g, " ").trim(), tag: e.tagName.toLowerCase(),
          type: e.getAttribute("type") || "", id: e.id, focusVisible: outline || shadow,
          order: [...document.querySelectorAll("*")].indexOf(e),
          expanded: e.getAttribute("aria-expanded"),
          inMenu: !!e.closest("#menu-principal, .navbar-collapse")};
}"""


def focused(page):
    return page.evaluate(FOCUSED)


def describe(element):
    return f"<{element['tag']}> « {element['name']} »" if element else "rien"


def tab_to(page, name, tag=None, backwards=False, limit=80):
    """Press Tab (Shift+Tab) until the element named `name` (a regex) has the focus;
    every element reached on the way must show its focus."""
    pattern = re.compile(name)
    seen = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        element = focused(page)
        if element is None:
            seen.append("(page)")
            continue
        assert element["focusVisible"], f"focus invisible sur {describe(element)}"
        if pattern.search(element["name"]) and (tag is None or element["tag"] == tag):
            return element
        seen.append(describe(element))
    pytest.fail(f"« {name} » jamais atteint au clavier ; parcouru : {seen}")


def type_into(page, name, text, tag=None):
    tab_to(page, name, tag)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def press_and_wait(page, key="Enter"):
    with page.expect_navigation():
        page.keyboard.press(key)


def tab_cycle(page, limit=400):
    """Tab from the top of the page until the focus comes back to where it started:
    the elements in the order the focus met them."""
    page.keyboard.press("Tab")
    first = focused(page)
    cycle = [first]
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if element and element["order"] == first["order"]:
            return cycle
        if element:
            assert element["focusVisible"], f"focus invisible sur {describe(element)}"
            cycle.append(element)
    pytest.fail(f"le focus ne revient jamais en haut de la page (piège ?) : "
                f"{[describe(e) for e in cycle[-5:]]}")


def assert_logical_order(cycle):
    """The skip link first, then the document's order (no tabindex reordering)."""
    assert cycle[0]["name"] == "Aller au contenu", describe(cycle[0])
    orders = [element["order"] for element in cycle]
    backwards = [(describe(a), describe(b)) for a, b, x, y in
                 zip(cycle, cycle[1:], orders, orders[1:]) if y <= x]
    assert not backwards, f"ordre de tabulation qui remonte la page : {backwards}"


@pytest.fixture
def keyboard_page(app, browser, live_server):
    app.config["WTF_CSRF_ENABLED"] = True  # every form posts its token from the page
    context = browser.new_context(base_url=live_server.url, locale="fr-FR",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page, email):
    page.goto("/connexion")
    skip = tab_to(page, "Aller au contenu", limit=1)  # the very first stop
    assert skip["tag"] == "a"
    page.keyboard.press("Enter")  # to the content: the next Tab is in the form
    element = tab_to(page, "Utilisateur", limit=3)
    assert element["tag"] == "input"
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert focused(page)["name"].startswith("Mot de passe")
    page.keyboard.type(PASSWORD)
    tab_to(page, "^Connexion$", tag="button")
    press_and_wait(page)


def test_a_candidate_applies_and_transmits_with_the_keyboard(app, keyboard_page, make_compte):
    page = keyboard_page
    compte, _ = make_compte(password=PASSWORD)
    complete_candidat(compte)
    formation = open_formation(code="M1KB", libelle="M1 Clavier et accessibilité")
    lettre = PieceJustificative.create(code="LM-KB", libelle="Lettre de motivation",
                                       formation=formation, ordre=1)
    Question.create(code="Q-KB", libelle="En alternance ?", type="B", formation=formation,
                    obligatoire=True)

    sign_in(page, compte.email)

    # Mon compte → Stages → Nouveau stage, filled and saved
    tab_to(page, "^Mon compte$", tag="a")
    press_and_wait(page)
    tab_to(page, "^Stages$", tag="a")
    press_and_wait(page)
    tab_to(page, "^Nouveau stage$", tag="a")
    press_and_wait(page)
    type_into(page, "^Année", "2023")
    type_into(page, "^Durée", "3 mois")
    type_into(page, "^Nombre d'heures", "35")
    type_into(page, "^Employeur", "Mairie de Poitiers")
    type_into(page, "^Descriptif", "Accueil du public et gestion des dossiers.")
    tab_to(page, "^Enregistrer$", tag="button")
    press_and_wait(page)
    [stage] = Stage.select()
    assert (stage.annee, stage.employeur, stage.heures_semaine) == (2023, "Mairie de Poitiers", 35)

    # Offre de formation → open the centre (Enter on its summary) → the formation → Candidater
    tab_to(page, "^Offre de formation$", tag="a")
    press_and_wait(page)
    tab_to(page, formation.commission.centre.libelle, tag="summary")
    is_open = "() => document.activeElement.parentElement.open"
    if not page.evaluate(is_open):  # a lone centre comes unfolded
        page.keyboard.press("Enter")
    assert page.evaluate(is_open)
    tab_to(page, "^M1 Clavier et accessibilité$", tag="a")
    press_and_wait(page)
    tab_to(page, "^Candidater$", tag="button")
    press_and_wait(page)
    candidature = Candidature.get()
    assert page.url.endswith(f"/candidatures/{candidature.id}")

    # The piece: Space on the file field opens the file chooser, then Déposer
    tab_to(page, "Fichier pour « Lettre de motivation »", tag="input")
    try:
        with page.expect_file_chooser(timeout=5_000) as chooser:
            page.keyboard.press("Space")
    except PlaywrightTimeoutError:
        # Now and then headless Chromium drops that press (seen 1 run in 5): Space again.
        with page.expect_file_chooser() as chooser:
            page.keyboard.press("Space")
    chooser.value.set_files({"name": "lettre.pdf", "mimeType": "application/pdf",
                             "buffer": PDF_BYTES})
    tab_to(page, "^Déposer$", tag="button", limit=2)
    press_and_wait(page)
    page.get_by_role("link", name="lettre.pdf").wait_for()

    # The question: Tab enters the radio group, the arrow moves to "Non", Space keeps it
    tab_to(page, "^Oui$", tag="input")
    page.keyboard.press("ArrowDown")
    assert focused(page)["name"] == "Non"
    tab_to(page, "^Enregistrer$", tag="button")
    press_and_wait(page)
    assert page.get_by_role("group", name="En alternance ?").get_by_label("Non").is_checked()

    # Transmettre ma candidature, then its confirmation
    tab_to(page, "^Transmettre ma candidature$", tag="a")
    press_and_wait(page)
    tab_to(page, "^Oui, transmettre$", tag="button")
    press_and_wait(page)
    page.get_by_text("Réceptionné").first.wait_for()
    assert Candidature.get_by_id(candidature.id).statut == "RE"
    assert PieceCandidat.get(PieceCandidat.candidature == candidature.id).piece_id == lettre.id
    assert "ne constitue pas une candidature" not in page.content()

    # The whole page, Tab after Tab: skip link first, the document's order, back to the top
    assert_logical_order(tab_cycle(page))


def test_the_phone_menu_by_keyboard(app, browser, live_server, make_compte):
    app.config["WTF_CSRF_ENABLED"] = True
    context = browser.new_context(base_url=live_server.url, locale="fr-FR",
                                  viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto("/offre-de-formation/")
    assert tab_to(page, ".", limit=1)["name"] == "Aller au contenu"
    assert tab_to(page, ".", limit=1)["name"] == "eCandidat"
    # The language switch, then the menu's button, in the order they show
    assert [tab_to(page, ".", limit=1)["name"] for _ in range(2)] == ["Français", "English"]
    button = tab_to(page, ".", limit=1)
    assert (button["name"], button["expanded"]) == ("Menu", "false")
    assert not page.locator("#menu-principal").is_visible()

    page.keyboard.press("Enter")
    assert focused(page)["expanded"] == "true"
    assert page.locator("#menu-principal").is_visible()
    element = tab_to(page, ".", limit=1)
    assert element["inMenu"], describe(element)
    page.keyboard.press("Escape")  # folds the menu and gives the focus back to its button
    assert (focused(page)["name"], focused(page)["expanded"]) == ("Menu", "false")
    assert not page.locator("#menu-principal").is_visible()

    page.keyboard.press("Space")  # Space opens it too; Tab goes through it and out of it
    assert page.locator("#menu-principal").is_visible()
    for _ in range(30):
        page.keyboard.press("Tab")
        if not focused(page)["inMenu"]:
            break
    else:
        pytest.fail("le focus ne sort pas du menu")
    assert page.locator("main").evaluate("(main, e) => main.contains(document.activeElement)",
                                         None)
    # Shift+Tab comes back into the open menu, to its last item
    page.keyboard.press("Shift+Tab")
    assert focused(page)["inMenu"]
    context.close()


def test_a_console_user_edits_and_saves_with_the_keyboard(app, keyboard_page):
    page = keyboard_page
    create_user("admin@example.org", "admin", password=STRONG)
    formation = open_formation(code="M1KB", libelle="M1 Clavier")

    page.goto("/admin/login")
    assert tab_to(page, ".", limit=1)["name"] == "Aller au contenu"
    type_into(page, "^Adresse mail", "admin@example.org", tag="input")
    type_into(page, "^Mot de passe", STRONG, tag="input")
    tab_to(page, "^Connexion$", tag="button")
    press_and_wait(page)

    # The menu's "Offre de formation" dropdown: Enter opens it, Tab goes through it to
    # "Formations" (no trap: the list's links come after)
    tab_to(page, "^Offre de formation", tag="a")
    page.keyboard.press("Enter")
    tab_to(page, "^Formations$", tag="a")
    press_and_wait(page)
    assert "/admin/formation/" in page.url

    # The row's edit link (named by its title), then the Libellé field, then Enregistrer
    tab_to(page, "Modifier", tag="a")
    press_and_wait(page)
    type_into(page, "^Libellé", "M1 Clavier parcours international", tag="input")
    tab_to(page, "^Enregistrer$")
    press_and_wait(page)
    page.get_by_text("M1 Clavier parcours international").first.wait_for()
    assert Formation.get_by_id(formation.id).libelle == "M1 Clavier parcours international"

    # The list page, Tab after Tab: skip link first, then in order, and back to the top
    assert_logical_order(tab_cycle(page))

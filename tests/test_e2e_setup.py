"""The set-up in a real browser, CSRF on and the site's CSP: a gestionnaire de centre
edits a formation of their centre — an out-of-order date is refused next to its
field, then the formation is saved."""
import datetime

from playwright.sync_api import expect

from ecandidat.models import Centre, Formation
from ecandidat.users import create_user
from factories import open_formation
from test_console import STRONG
from test_e2e_console import contrast_problems


def test_a_gestionnaire_edits_a_formation_of_their_centre(app, page):
    app.config["WTF_CSRF_ENABLED"] = True
    formation = open_formation("M1AES")
    open_formation("LLCE", centre=Centre.create(code="LET", libelle="UFR Lettres"))
    create_user("gestion@example.org", "gestionnaire", scope="DSS", password=STRONG)
    start = formation.date_debut_depot

    page.goto("/admin/")
    page.get_by_label("Adresse mail").fill("gestion@example.org")
    page.get_by_label("Mot de passe").fill(STRONG)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_text("Gestionnaire de centre").first.wait_for()
    # The menu opens through Bootstrap's script: wait for the page's scripts to run.
    page.wait_for_load_state("load")
    page.get_by_role("link", name="Offre de formation").click()
    expect(page.get_by_role("link", name="Formations")).to_be_visible()
    page.get_by_role("link", name="Formations").click()
    row = page.locator("tr", has_text="Formation M1AES")
    row.wait_for()
    assert page.locator("tr", has_text="Formation LLCE").count() == 0  # another centre's
    row.locator("a[href*='/edit/']").click()
    assert page.locator("form.admin-form input[name=csrf_token]").count() == 1

    # Out of order: the reason is shown next to the field, nothing is saved.
    page.get_by_label("Libellé").fill("Master AES")
    page.get_by_label("Fin de dépôt des vœux").fill(
        (start - datetime.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    field = page.locator(".form-group", has=page.locator("input[name=date_fin_depot]"))
    expect(field.locator(".invalid-feedback")).to_contain_text(
        "La date de fin de dépôt doit être postérieure ou égale à la date de début de dépôt.")
    assert Formation.get_by_id(formation.id).libelle == "Formation M1AES"
    assert contrast_problems(page) == []

    # Corrected: saved.
    page.get_by_label("Fin de dépôt des vœux").fill(
        (start + datetime.timedelta(days=15)).isoformat())
    page.get_by_label("Mode de candidature").select_option(label="Dossier papier")
    page.get_by_label("Capacité d'accueil").fill("40")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.locator("tr", has_text="Master AES").wait_for()
    saved = Formation.get_by_id(formation.id)
    assert (saved.libelle, saved.demat, saved.capacite) == ("Master AES", False, 40)
    assert saved.date_fin_depot == start + datetime.timedelta(days=15)


def test_a_gestionnaire_edits_the_admission_letter_of_a_commission(app, page):
    """The commission's letter text, CSRF on: an unknown variable is refused next to the
    field, nothing saved; a valid text is saved."""
    from ecandidat.models import Commission
    app.config["WTF_CSRF_ENABLED"] = True
    formation = open_formation("M1AES")
    create_user("gestion@example.org", "gestionnaire", scope="DSS", password=STRONG)
    page.goto("/admin/")
    page.get_by_label("Adresse mail").fill("gestion@example.org")
    page.get_by_label("Mot de passe").fill(STRONG)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_text("Gestionnaire de centre").first.wait_for()
    page.goto(f"/admin/commission/edit/?id={formation.commission_id}")
    page.wait_for_load_state("load")
    text = page.get_by_label("Texte de la lettre d'admission")
    text.fill("Bonjour {{ prenom }}, votre moyenne : {{ moyenne }}.")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    field = page.locator(".form-group", has=page.locator("textarea[name=lettre_admission]"))
    expect(field).to_contain_text("moyenne")
    assert Commission.get_by_id(formation.commission_id).lettre_admission is None
    page.get_by_label("Texte de la lettre d'admission").fill(
        "{{ prenom }} {{ nom }}, vous êtes admis(e) en {{ formation }}.")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.locator("tr", has_text="Commission M1AES").wait_for()  # back on the list: saved
    assert Commission.get_by_id(formation.commission_id).lettre_admission == \
        "{{ prenom }} {{ nom }}, vous êtes admis(e) en {{ formation }}."

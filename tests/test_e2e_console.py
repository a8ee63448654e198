"""The console in a real browser with CSRF on and the site's CSP: sign in, edit
and save, delete (row button and list action), refusals, colour contrast."""
import pathlib
import re

import pytest
from playwright.sync_api import expect

from ecandidat.mail import ensure_templates
from ecandidat.models import (AuditLog, Candidat, Candidature, Centre, Formation,
                              GestionnaireCentre, MailTemplate, User)
from ecandidat.security import check_password
from ecandidat.users import create_user
from factories import open_formation
from test_console import STRONG

AXE = pathlib.Path(__file__).parent / "vendor" / "axe.min.js"
CONTRAST_CHECK = """async () => {
  const result = await axe.run(document, {runOnly: ["color-contrast"]});
  return result.violations.flatMap(v => v.nodes.map(n => n.target.join(" ") + " : "
                                                    + n.any.map(a => a.message).join(" ")));
}"""


@pytest.fixture
def console(app, page):
    """A browser signed in to the console as an administrator, CSRF checks on."""
    app.config["WTF_CSRF_ENABLED"] = True
    create_user("admin@example.org", "admin", password=STRONG)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/admin/")
    page.get_by_label("Adresse mail").fill("admin@example.org")
    page.get_by_label("Mot de passe").fill(STRONG)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_text("Administrateur").first.wait_for()
    return page


def contrast_problems(page):
    # evaluate() runs outside the page's CSP, which forbids injected scripts.
    page.evaluate(AXE.read_text())
    return page.evaluate(CONTRAST_CHECK)


def test_edit_and_save_a_formation(app, console):
    formation = open_formation()
    console.goto("/admin/formation/")
    console.locator("tr", has_text=formation.libelle).locator("a[href*='/edit/']").click()
    assert console.locator("form input[name=csrf_token]").count() == 1
    console.get_by_label("Libellé").fill("M1 AES parcours international")
    console.get_by_role("button", name="Enregistrer", exact=True).click()
    console.get_by_text("M1 AES parcours international").first.wait_for()
    assert Formation.get_by_id(formation.id).libelle == "M1 AES parcours international"


def test_delete_with_the_row_button_and_the_list_action(app, console, make_compte):
    used = open_formation("USED")
    compte, _ = make_compte()
    Candidature.create(candidat=Candidat.create(compte=compte, nom_patronymique="MARTIN",
                                                prenom="Camille"), formation=used)
    unused = open_formation("UNUSED")
    Centre.create(code="VIDE", libelle="Centre vide")

    console.goto("/admin/centre/")
    console.locator("tr", has_text="Centre vide").get_by_role("button", name="Supprimer").click()
    expect(console.locator("tr", has_text="Centre vide")).to_have_count(0)
    assert not Centre.select().where(Centre.code == "VIDE").exists()

    console.goto("/admin/formation/")
    console.locator("tr", has_text="Formation USED").get_by_role(
        "button", name="Supprimer").click()
    console.get_by_text("ne peut pas être supprimé").wait_for()
    assert Formation.select().where(Formation.id == used.id).exists()
    assert contrast_problems(console) == []

    console.locator("tr", has_text="Formation UNUSED").locator("input.action-checkbox").check()
    console.get_by_role("button", name="Avec la sélection").click()
    console.locator("[data-action=delete]").click()
    console.get_by_text("1 ligne supprimée").wait_for()
    assert not Formation.select().where(Formation.id == unused.id).exists()
    assert Candidature.select().count() == 1
    assert [a.actor for a in AuditLog.select()] == ["user:admin@example.org"] * 2


def test_create_a_centre_manager_with_a_password(app, console):
    formation = open_formation()
    console.goto("/admin/user/new/")
    assert console.locator("form input[name=csrf_token]").count() == 1
    console.get_by_label("Adresse mail").fill("gestion@example.org")
    console.get_by_label("Nom", exact=True).fill("Durand")
    console.get_by_label("Prénom").fill("Alix")
    console.get_by_label("Rôle").select_option(label="Gestionnaire de centre")
    console.get_by_label("Centre de candidature").select_option(
        label=formation.commission.centre.libelle)
    console.get_by_label("Nouveau mot de passe").fill("trois chats gris sur le toit")
    console.get_by_role("button", name="Enregistrer", exact=True).click()
    console.locator("tr", has_text="gestion@example.org").wait_for()
    user = User.get(User.email == "gestion@example.org")
    assert check_password(user.password_hash, "trois chats gris sur le toit")
    assert GestionnaireCentre.get(GestionnaireCentre.user == user).centre_id == \
        formation.commission.centre_id


def test_mail_template_preview_and_refusal(app, console):
    ensure_templates()
    template = MailTemplate.get(MailTemplate.code == "CANDIDATURE")
    console.goto(f"/admin/mailtemplate/edit/?id={template.id}")
    console.get_by_label("Corps du message").fill("Bonjour {{ prenom }}, {{ moyenne }}")
    console.get_by_role("button", name="Enregistrer", exact=True).click()
    console.get_by_text("Variable inconnue pour ce modèle : moyenne").first.wait_for()
    console.get_by_label("Corps du message").fill("Bonjour {{ prenom }} !")
    console.get_by_role("button", name="Prévisualiser").click()
    console.locator(".preview-body", has_text="Bonjour Camille !").wait_for()
    assert MailTemplate.get_by_id(template.id).corps == template.corps
    assert contrast_problems(console) == []


def test_mail_template_edit_and_save(app, console):
    ensure_templates()
    template = MailTemplate.get(MailTemplate.code == "CANDIDATURE")
    console.goto(f"/admin/mailtemplate/edit/?id={template.id}")
    console.get_by_label("Corps du message").fill("Bonjour {{ prenom }}, candidature reçue.")
    console.get_by_role("button", name="Enregistrer", exact=True).click()
    console.wait_for_url(re.compile(r"/admin/mailtemplate/(\?.*)?$"))  # back to the list
    expect(console.get_by_text("Variable inconnue")).to_have_count(0)
    assert MailTemplate.get_by_id(template.id).corps == "Bonjour {{ prenom }}, candidature reçue."


@pytest.mark.parametrize("path", ["/admin/", "/admin/formation/", "/admin/formation/new/",
                                  "/admin/user/", "/admin/user/new/", "/admin/centre/details/"])
def test_console_pages_have_enough_contrast(app, console, path):
    formation = open_formation()
    if path.endswith("details/"):
        path += f"?id={formation.commission.centre_id}"
    console.goto(path)
    assert console.locator("html").get_attribute("lang") == "fr"
    assert contrast_problems(console) == []


def test_login_page_has_enough_contrast(app, page):
    page.goto("/admin/login")
    assert contrast_problems(page) == []


def test_download_the_dossiers_of_a_selection(app, console, make_compte):
    """Télécharger les dossiers, with CSRF on: a ZIP holding the stored dossier of the
    transmitted candidature (built by the dossiers job, served from its file)."""
    import io
    import zipfile

    from ecandidat import jobs, storage, workflow
    from factories import complete_candidat, pieces, question
    from test_workflow import me, ready_candidature

    formation = open_formation()
    compte, _ = make_compte()
    candidat = complete_candidat(compte)
    candidature = ready_candidature(candidat, formation, pieces(formation), question(formation))
    workflow.transmettre(me(candidat), candidature)
    assert not jobs.run_job("dossiers").failed
    stored = Candidature.get_by_id(candidature.id).dossier_pdf
    assert stored

    console.goto("/admin/candidature/")
    console.locator("tr", has_text=compte.numero_dossier).locator(
        "input.action-checkbox").check()
    console.get_by_role("button", name="Avec la sélection").click()
    with console.expect_download() as download_info:
        console.locator("[data-action=dossiers]").click()
    archive = zipfile.ZipFile(io.BytesIO(pathlib.Path(download_info.value.path()).read_bytes()))
    [name] = archive.namelist()
    assert name == f"dossier-{compte.numero_dossier}-{formation.code}.pdf"
    assert archive.read(name) == pathlib.Path(storage.stored_path(stored)).read_bytes()

"""The candidate's data in their hands, in a real browser with the CSRF checks on (every
token comes from the page): a piece uploaded, Télécharger mes données (the ZIP holds the
JSON and the very bytes uploaded), the calendar subscription read without a session, then
Supprimer mon compte through its confirmation page — and Connexion refused afterwards."""
import io
import json
import pathlib
import re
import zipfile

from icalendar import Calendar

from ecandidat import workflow
from ecandidat.models import CompteCandidat
from factories import PDF_BYTES, complete_candidat, open_formation, pieces

PASSWORD = "trois pommes vertes sur la table"


def menu_link(page, name):
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name=name).click()


def sign_in(page, identifier):
    page.goto("/connexion")
    page.get_by_label(re.compile(r"^Utilisateur")).fill(identifier)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()


def test_download_my_data_subscribe_then_delete_my_account(app, page, browser, make_compte):
    app.config["WTF_CSRF_ENABLED"] = True
    compte, _ = make_compte(email="lea.durand@example.org", password=PASSWORD)
    candidat = complete_candidat(compte)
    formation = open_formation(code="M1AES", libelle="M1 Administration Economique et Sociale")
    asked = pieces(formation)
    candidature = workflow.candidater(workflow.Actor.candidat(candidat), candidat, formation)

    sign_in(page, compte.email)
    page.goto(f"/candidatures/{candidature.id}")
    row = page.locator(f"#piece-{asked['lettre'].id}")
    row.get_by_label(f"Fichier pour « {asked['lettre'].libelle} »").set_input_files(
        files=[{"name": "ma-lettre.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}])
    row.get_by_role("button", name="Déposer").click()
    page.get_by_text("est déposée").wait_for()

    # Télécharger mes données
    menu_link(page, "Mon compte")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Télécharger mes données").click()
    download = download_info.value
    assert download.suggested_filename == f"mes-donnees-ecandidat-{compte.numero_dossier}.zip"
    archive = zipfile.ZipFile(io.BytesIO(pathlib.Path(download.path()).read_bytes()))
    document = json.loads(archive.read("donnees.json").decode("utf-8"))
    assert document["compte"]["numero_dossier"] == compte.numero_dossier
    [mine] = document["candidatures"]
    assert mine["formation"]["libelle"] == "M1 Administration Economique et Sociale"
    [piece] = mine["pieces"]
    assert piece["nom_original"] == "ma-lettre.pdf"
    assert archive.read(piece["fichier"]) == PDF_BYTES

    # The calendar: an address made on the page, read by a client with no session.
    menu_link(page, "Mon compte")
    page.get_by_role("button", name="Calendrier de mes candidatures").click()
    page.get_by_role("button", name="Créer une adresse d'abonnement").click()
    address = page.get_by_label("Adresse à copier dans votre agenda").input_value()
    assert address.startswith(f"{app.config['BASE_URL']}/calendrier/")
    outsider = browser.new_context()
    try:
        feed = outsider.request.get(address)
        assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")
        uids = [str(e["UID"]) for e in Calendar.from_ical(feed.body()).walk("VEVENT")]
        assert f"candidature-{candidature.id}-retour@127.0.0.1" in uids
    finally:
        outsider.close()

    # Supprimer mon compte: a wrong password first, then the right one.
    menu_link(page, "Mon compte")
    page.get_by_role("button", name="Supprimer mon compte").click()
    page.get_by_role("heading", name="Supprimer mon compte").wait_for()
    page.get_by_label(re.compile(r"^Mot de passe")).fill("pas le mien du tout")
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()
    page.get_by_text("Mot de passe incorrect.").wait_for()
    assert CompteCandidat.get_or_none(CompteCandidat.id == compte.id) is not None
    page.get_by_label(re.compile(r"^Mot de passe")).fill(PASSWORD)
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()
    page.get_by_text("toutes ses données ont été supprimés").wait_for()
    assert CompteCandidat.get_or_none(CompteCandidat.id == compte.id) is None
    assert page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Connexion").count() == 1  # signed out

    sign_in(page, compte.email)
    page.get_by_text("Identifiant ou mot de passe incorrect.").wait_for()
    sign_in(page, compte.numero_dossier)
    page.get_by_text("Identifiant ou mot de passe incorrect.").wait_for()
    gone = browser.new_context()
    try:
        assert gone.request.get(address).status == 404
    finally:
        gone.close()

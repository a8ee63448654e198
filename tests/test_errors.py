"""French error pages, a 500 page that needs no database, and an expired CSRF
token that keeps what was typed."""
import datetime
import html
import io
import re

import pytest
import time_machine
from flask import abort
from peewee import OperationalError

from conftest import sign_in
from ecandidat import clock, db
from ecandidat.models import CompteCandidat

STRONG = "trois chevaux bleus dansent"


def text(response):
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


@pytest.mark.parametrize("code, title, message", [
    (400, "Requête invalide", "Vérifiez votre saisie"),
    (403, "Accès refusé", "Vous n'avez pas le droit"),
    (404, "Page introuvable", "Cette page n'existe pas"),
    (405, "Action non permise", "ne peut pas être utilisée de cette façon"),
    (413, "Envoi trop volumineux", "trop volumineuses"),
    (429, "Trop de tentatives", "Patientez quelques minutes"),
])
def test_each_error_has_its_french_page_in_the_layout(app, client, code, title, message):
    app.add_url_rule("/essai-erreur/<int:code>", "essai_erreur", lambda code: abort(code))
    response = client.get(f"/essai-erreur/{code}")
    assert response.status_code == code
    page = text(response)
    assert f"<title>{title} · eCandidat</title>" in page and f"<h1>{title}</h1>" in page
    assert message in page and f"Code d'erreur : {code}" in page
    assert "Offre de formation" in page  # the menu of the base layout
    assert 'lang="fr"' in page


def test_real_errors_reach_those_pages(client):
    assert "Page introuvable" in text(client.get("/pas-de-page-ici"))
    response = client.get("/deconnexion")  # POST only
    assert response.status_code == 405 and "Action non permise" in text(response)
    assert "POST" in response.headers["Allow"]
    assert response.mimetype == "text/html"


def test_an_oversized_form_or_file_is_explained(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/connexion", data={"identifier": "a" * 4096, "password": "p"})
    assert response.status_code == 413
    assert "Les données envoyées sont trop volumineuses." in text(response)
    response = client.post("/connexion", data={"fichier": (io.BytesIO(b"0" * 4096), "gros.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert "Le fichier dépasse la taille maximale de" in text(response)


def test_the_500_page_needs_no_database(app, client, make_compte, monkeypatch):
    """The database is down: the French page still shows (no menu, no account loaded)."""
    compte, _ = make_compte()
    sign_in(client, compte)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def down(*args, **kwargs):
        raise OperationalError("connexion refusée")

    monkeypatch.setattr(db.database.obj, "connect", down)
    monkeypatch.setattr(db.database.obj, "execute_sql", down)
    response = client.get("/mon-compte/")
    assert response.status_code == 500
    page = text(response)
    assert "<h1>Erreur interne</h1>" in page and "rien n'a été enregistré" in page
    assert 'lang="fr"' in page and "Mon compte" not in page


REGISTER = {"nom": "Lefèvre", "prenom": "Hélène", "email": "helene@example.org",
            "email_confirm": "helene@example.org", "password": STRONG,
            "password_confirm": STRONG}


def csrf_token(response):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                     response.get_data(as_text=True)).group(1)


def test_an_expired_csrf_token_keeps_what_was_typed_and_says_why(app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token = csrf_token(client.get("/compte/creer"))
    later = clock.now() + datetime.timedelta(seconds=app.config["WTF_CSRF_TIME_LIMIT"] + 60)
    with time_machine.travel(later):
        response = client.post("/compte/creer", data={**REGISTER, "csrf_token": token})
        assert response.status_code == 200
        page = text(response)
        assert "Votre session a expiré" in page
        assert "vérifiez les informations saisies et renvoyez le formulaire" in page
        assert 'value="Lefèvre"' in page and 'value="Hélène"' in page
        assert 'value="helene@example.org"' in page
        assert CompteCandidat.select().count() == 0
        # The page came back with a fresh token: sending it again works.
        again = client.post("/compte/creer", data={**REGISTER,
                                                   "csrf_token": csrf_token(response)})
    assert "Votre session a expiré" not in text(again)
    assert CompteCandidat.get().email == "helene@example.org"


def test_an_expired_token_on_a_profile_screen_keeps_the_typed_address(app, make_compte):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    compte, _ = make_compte()
    sign_in(client, compte)
    token = csrf_token(client.get("/mon-compte/adresse"))
    later = clock.now() + datetime.timedelta(hours=2)
    with time_machine.travel(later):
        response = client.post("/mon-compte/adresse", data={
            "csrf_token": token, "pays": "100", "adresse1": "12 rue des Écoles"})
    assert response.status_code == 200
    assert "Votre session a expiré" in text(response)
    assert 'value="12 rue des Écoles"' in text(response)

"""NUL and other control characters: refused with a message in every field of every
candidate form, ignored by the JSON lists, never a 500 (PostgreSQL refuses NUL)."""
import html
import re

import pytest

from conftest import sign_in
from ecandidat import accounts
from ecandidat.models import ALL_MODELS, Candidature, ReponseQuestion
from factories import complete_candidat, open_formation, pieces, question
from forms.account import (ChangeEmailForm, EmailRequestForm, LoginForm, RegisterForm,
                           ResetPasswordForm)
from forms.base import CONTROL_CHARACTER_MESSAGE
from forms.profile import (AdresseForm, BacForm, CursusExterneForm, ExperienceForm,
                           InfosPersoForm, StageForm)
from referential_sample import insert_referential_sample

# (URL, form, who posts: None anonymous, "candidate" signed in, "reset" with a reset link)
FORMS = [
    ("/connexion", LoginForm, None),
    ("/compte/creer", RegisterForm, None),
    ("/compte/identifiants-oublies", EmailRequestForm, None),
    ("/compte/code-activation", EmailRequestForm, None),
    ("/compte/reinitialiser/{token}", ResetPasswordForm, "reset"),
    ("/compte/adresse-mail", ChangeEmailForm, "candidate"),
    ("/mon-compte/informations-personnelles", InfosPersoForm, "candidate"),
    ("/mon-compte/adresse", AdresseForm, "candidate"),
    ("/mon-compte/baccalaureat", BacForm, "candidate"),
    ("/mon-compte/cursus-externe/nouveau", CursusExterneForm, "candidate"),
    ("/mon-compte/stages/nouveau", StageForm, "candidate"),
    ("/mon-compte/experiences-pro/nouvelle", ExperienceForm, "candidate"),
]


def field_names(form_class):
    """The fields a person fills in (WTForms keeps them as unbound class attributes)."""
    return [name for name in dir(form_class)
            if getattr(getattr(form_class, name), "_formfield", False)]


CASES = [(url, form_class, who, name)
         for url, form_class, who in FORMS for name in field_names(form_class)]


def text(response):
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def row_counts():
    return {model.__name__: model.select().count() for model in ALL_MODELS}


@pytest.mark.parametrize("url, form_class, who, name", CASES,
                         ids=[f"{f.__name__}.{n}" for _u, f, _w, n in CASES])
def test_nul_in_any_field_is_refused_with_a_message(client, make_compte, url, form_class,
                                                    who, name):
    if url.startswith("/mon-compte/"):
        insert_referential_sample()  # the lists of the file's screens
    compte, _ = make_compte()
    if who == "candidate":
        sign_in(client, compte)
    if who == "reset":
        url = url.format(token=accounts.request_password_reset(compte.email))
    client.get(url)  # the candidate's empty file is created on first visit
    before = row_counts()

    response = client.post(url, data={name: "a\x00b"})

    assert response.status_code == 200
    page = text(response)
    assert f'id="{name}-error"' in page, "the message sits next to the field"
    assert str(CONTROL_CHARACTER_MESSAGE) in page
    assert "\x00" not in page
    assert row_counts() == before


def test_other_control_characters_are_refused_too_and_the_rest_is_kept(candidate_client):
    response = candidate_client.post("/mon-compte/adresse", data={
        "pays": "100", "adresse1": "12 rue\x1b des Écoles\x07", "adresse2": "Bât. A\tporte 2"})
    page = text(response)
    assert str(CONTROL_CHARACTER_MESSAGE) in page and 'id="adresse1-error"' in page
    assert 'id="adresse2-error"' not in page  # a tab is fine
    assert 'value="12 rue des Écoles"' in page
    assert 'value="Bât. A\tporte 2"' in response.get_data(as_text=True)


@pytest.mark.parametrize("path", [
    "/api/communes?code_postal=86%00", "/api/communes?departement=8%006",
    "/api/etablissements?commune=%00",
])
def test_json_lists_ignore_nul(client, path):
    insert_referential_sample()
    response = client.get(path)
    assert response.status_code == 200 and response.get_json() == []


@pytest.mark.parametrize("path, same_as", [
    ("/api/bac/series?annee=20%0019", "/api/bac/series"),
    ("/api/etablissements?commune=86194&type=%00", "/api/etablissements?commune=86194"),
])
def test_an_optional_filter_with_nul_is_ignored(client, path, same_as):
    insert_referential_sample()
    response = client.get(path)
    assert response.status_code == 200 and response.get_json() == client.get(same_as).get_json()


def test_search_with_nul_is_answered(client):
    response = client.get("/offre-de-formation/?q=droit%00")
    assert response.status_code == 200


def test_a_nul_in_an_answer_is_refused_with_the_message(candidate_client):
    """The answer to a complementary question is checked by the workflow: refused with
    the same message on both databases, nothing stored."""
    complete_candidat(candidate_client.compte)
    formation = open_formation()
    pieces(formation)
    asked = question(formation, kind="S", obligatoire=False)
    candidate_client.post(f"/candidatures/candidater/{formation.id}")
    candidature = Candidature.get()
    response = candidate_client.post(
        f"/candidatures/{candidature.id}/questions/{asked.id}", data={"reponse": "oui\x00"},
        follow_redirects=True)
    assert response.status_code == 200
    assert str(CONTROL_CHARACTER_MESSAGE) in text(response)
    assert not ReponseQuestion.select().where(ReponseQuestion.reponse.is_null(False)).exists()

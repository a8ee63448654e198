"""Nothing breaks, whatever comes in (issue 11, point 7): property-based tests
(hypothesis) over every public form, the candidate's file screens, the JSON lists,
the candidature actions with free text and the console's create and edit forms.
For any input: no 5xx, every refusal a French error page (4xx) or the form again
with a French message, never WTForms' or Flask-Admin's English defaults (see
tests/fuzz.py). Most run with CSRF off (the `app` fixture); one fuzzes a form with
CSRF on, its token read from the page. Bounded: 30 examples a test, derandomized
(the same inputs each run). SQLite and PostgreSQL."""
import datetime
import urllib.parse

import pytest
from argon2 import PasswordHasher
from hypothesis import given, settings, strategies as st

from conftest import sign_in
from ecandidat import accounts, clock, security
from ecandidat.demo import create_demo
from ecandidat.models import Avis, Candidature, Formation, Question, User
from factories import complete_candidat, open_formation, pieces
from fuzz import FUZZ, Field, any_text, check_answer, form_data, form_fields, numbers
from referential_sample import insert_referential_sample
from test_console import STRONG, console_login

PUBLIC_FORMS = ["/connexion", "/compte/creer", "/compte/identifiants-oublies",
                "/compte/code-activation", "/compte/reinitialiser/{token}"]
CANDIDATE_FORMS = ["/mon-compte/informations-personnelles", "/mon-compte/adresse",
                   "/mon-compte/baccalaureat", "/mon-compte/cursus-externe/nouveau",
                   "/mon-compte/stages/nouveau", "/mon-compte/experiences-pro/nouvelle",
                   "/compte/adresse-mail"]
# The pages a form leads to when it was accepted (a 200 that is no refusal).
SUCCESS_PAGES = ["Validez votre adresse mail"]


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    """Cheap argon2 parameters: many accounts and sign-ins."""
    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                            parallelism=1))


def fields_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    fields, _token = form_fields(response.get_data(as_text=True))
    assert fields, url
    return fields


def fuzz_forms(client, urls, data):
    """Post one drawn body to one drawn form and check the answer."""
    url = data.draw(st.sampled_from(sorted(urls)), label="url")
    body = data.draw(form_data(urls[url]), label="body")
    response = client.post(url, data=body, follow_redirects=True)
    check_answer(response, SUCCESS_PAGES)


@pytest.fixture
def public_forms(client, make_compte):
    compte, _ = make_compte()
    token = accounts.request_password_reset(compte.email)
    urls = [url.format(token=token) for url in PUBLIC_FORMS]
    return {url: fields_of(client, url) for url in urls}


@FUZZ
@given(data=st.data())
def test_public_forms(client, public_forms, data):
    fuzz_forms(client, public_forms, data)


@pytest.fixture
def candidate_forms(candidate_client):
    insert_referential_sample()
    return {url: fields_of(candidate_client, url) for url in CANDIDATE_FORMS}


@FUZZ
@given(data=st.data())
def test_candidate_file_forms(candidate_client, candidate_forms, data):
    fuzz_forms(candidate_client, candidate_forms, data)


@FUZZ
@given(data=st.data())
def test_candidate_file_forms_filled_in_france(candidate_client, candidate_forms, data):
    """With the lists' real codes (France, a département, a commune, a lycée…), the
    checks that tie fields together and to the referential are reached."""
    france = {"pays": "100", "nationalite": "100", "pays_naissance": "100",
              "departement": "86", "departement_naissance": "86", "commune": "86194",
              "commune_naissance": "86194", "code_postal": "86000",
              "etablissement": "0860034V"}
    url = data.draw(st.sampled_from(CANDIDATE_FORMS[:5]), label="url")
    body = data.draw(form_data(candidate_forms[url]), label="body")
    body = {**{k: v for k, v in france.items() if k in {f.name for f in candidate_forms[url]}},
            **body} if data.draw(st.booleans(), label="france first") else {**body, **france}
    check_answer(candidate_client.post(url, data=body, follow_redirects=True))


# --- JSON lists ---------------------------------------------------------------------------

API = ["/api/departements", "/api/communes", "/api/etablissements", "/api/bac/series",
       "/api/bac/specialites", "/api/bac/mentions"]
PARAMETERS = ["code_postal", "departement", "commune", "type", "annee"]
raw_query = st.one_of(
    st.dictionaries(st.sampled_from(PARAMETERS), any_text, max_size=3).map(
        urllib.parse.urlencode),
    # Any bytes as values: invalid UTF-8 included.
    st.lists(st.tuples(st.sampled_from(PARAMETERS), st.binary(max_size=20)), max_size=3).map(
        lambda pairs: "&".join(f"{k}={urllib.parse.quote_from_bytes(v)}" for k, v in pairs)),
    st.sampled_from(["annee=%ZZ", "commune=%", "code_postal=%C3", "&&==&", "annee",
                     "annee=2020&annee=abc", "departement[]=86"]),
    st.lists(st.tuples(st.sampled_from(PARAMETERS), numbers), max_size=3).map(
        lambda pairs: "&".join(f"{k}={urllib.parse.quote(v)}" for k, v in pairs)))


@FUZZ
@given(path=st.sampled_from(API), query=raw_query)
def test_json_lists(client, path, query):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 200
    items = response.get_json()
    assert isinstance(items, list)
    assert all(set(item) >= {"value", "label"} for item in items)


# --- Candidature actions with free text ---------------------------------------------------

@pytest.fixture
def candidature_world(candidate_client):
    """A candidature whose complementary questions (yes/no, text, choice) are asked."""
    candidat = complete_candidat(candidate_client.compte)
    formation = open_formation()
    pieces(formation)
    questions = [Question.create(code=f"Q{kind}", libelle=f"Question {kind}", type=kind,
                                 formation=formation, obligatoire=False,
                                 choix="Mai\nJuin" if kind == "C" else None)
                 for kind in "BSC"]
    candidate_client.post(f"/candidatures/candidater/{formation.id}")
    candidature = Candidature.get(Candidature.candidat == candidat.id)
    return candidate_client, candidature, questions


answers = st.one_of(any_text, st.sampled_from(["oui", "non", "Mai", "Juin", " oui "]))


@FUZZ
@given(data=st.data())
def test_question_answers(candidature_world, data):
    client, candidature, questions = candidature_world
    question = data.draw(st.sampled_from(questions), label="question")
    body = data.draw(st.one_of(st.fixed_dictionaries({"reponse": answers}),
                               st.fixed_dictionaries({"reponse": st.lists(answers, min_size=2,
                                                                         max_size=3)}),
                               st.just({})), label="body")
    response = client.post(f"/candidatures/{candidature.id}/questions/{question.id}",
                           data=body, follow_redirects=True)
    check_answer(response)


@pytest.fixture
def favourable(candidate_client):
    """Makes, each time it is called, a new candidature with a validated favourable avis
    (so that every example can withdraw)."""
    candidat = complete_candidat(candidate_client.compte)
    today = clock.today()
    made = []

    def one():
        formation = open_formation(code=f"F{len(made)}",
                                   date_confirmation=today + datetime.timedelta(days=60))
        candidature = Candidature.create(candidat=candidat, formation=formation, statut="CO",
                                         date_transmission=clock.now())
        Avis.create(candidature=candidature, type_avis="FA", valide=True,
                    valide_le=clock.now())
        made.append(candidature)
        return candidature
    return candidate_client, one


motifs = st.one_of(any_text, st.text(min_size=490, max_size=510))


@FUZZ
@given(data=st.data())
def test_desistement_motif(favourable, data):
    client, new_candidature = favourable
    candidature = new_candidature()
    body = data.draw(st.one_of(st.fixed_dictionaries({"motif": motifs}),
                               st.fixed_dictionaries({"motif": st.lists(motifs, min_size=2,
                                                                       max_size=2)}),
                               st.just({})), label="body")
    response = client.post(f"/candidatures/{candidature.id}/desister", data=body,
                           follow_redirects=True)
    check_answer(response)
    saved = Candidature.get_by_id(candidature.id)
    if saved.confirmation == "DESISTE" and saved.motif_desistement:
        assert not any(c in saved.motif_desistement for c in "\x00\x1b\x7f")


# --- The console's create and edit forms ----------------------------------------------------

CONSOLE_MODELS = {"campagne": "Campagne", "centre": "Centre", "commission": "Commission",
                  "formation": "Formation", "piecejustificative": "PieceJustificative",
                  "question": "Question", "mailtemplate": "MailTemplate", "user": "User",
                  "typedecision": "TypeDecision", "motivationavis": "MotivationAvis",
                  "tag": "Tag"}


@pytest.fixture
def console(client):
    """The demo's data, an administrator signed in, and each console form's fields."""
    from ecandidat import models
    from ecandidat.mail import ensure_templates
    create_demo()
    ensure_templates()  # as `db upgrade` does (the tests empty every table)
    from ecandidat.users import create_user
    create_user("fuzz-admin@example.org", "admin", password=STRONG)
    response = client.post("/admin/login", data={"email": "fuzz-admin@example.org",
                                                 "password": STRONG})
    assert response.status_code == 302
    urls = {}
    for endpoint, model_name in CONSOLE_MODELS.items():
        model = getattr(models, model_name)
        if endpoint != "mailtemplate":  # templates are edited, not created
            urls[f"/admin/{endpoint}/new/"] = None
        first = model.select(model.id).order_by(model.id).first()
        if endpoint == "user":  # not the account the test is signed in with
            first = User.select(User.id).where(User.email != "fuzz-admin@example.org").first()
        urls[f"/admin/{endpoint}/edit/?id={first.id}"] = None
    urls["/admin/statutscommission/"] = None
    # Every console model with a create or edit form is fuzzed.
    assert {url.split("/")[2] for url in urls} >= set(CONSOLE_MODELS)
    forms = {url: fields_of(client, url) for url in urls}
    forms.update(candidature_action_forms(client))
    return client, forms


def candidature_action_forms(client):
    """The actions on a transmitted candidature (avis with its comment and rang, statut,
    type de traitement, désistement with its reason…), its bloc-notes and a piece's
    statut with the comment the candidate reads."""
    from ecandidat.models import CompteCandidat, Candidat, PieceCandidat
    from views.admin.candidature_actions import ACTIONS
    candidature = (Candidature.select().join(Candidat).join(CompteCandidat)
                   .where(CompteCandidat.email == "hugo.bernard@example.org").get())
    forms = {}
    for slug in ACTIONS:
        url = f"/admin/candidature/actions/{slug}/?ids={candidature.id}"
        if client.get(url).status_code == 200:
            forms[url] = fields_of(client, url)
    piece = PieceCandidat.select().where(PieceCandidat.candidature == candidature.id).first()
    prefix = f"piece-{piece.piece_id}"
    forms[f"/admin/candidature/{candidature.id}/pieces/{piece.piece_id}/statut"] = [
        Field(f"{prefix}-statut", "select"), Field(f"{prefix}-commentaire")]
    forms[f"/admin/candidature/{candidature.id}/pieces/{piece.piece_id}/statut"][0].options = [
        "VA", "RE", "AT"]
    forms[f"/admin/candidature/{candidature.id}/bloc-notes"] = [Field("bloc_notes")]
    assert len(forms) >= 5, sorted(forms)
    return forms


@settings(FUZZ, max_examples=80)
@given(data=st.data())
def test_console_forms(console, data):
    """Half the bodies are drawn whole; the others are an edit form as the page fills
    it with a few fields changed, so that the checks after the required ones (dates in
    order, unique codes, scopes…) are reached."""
    client, forms = console
    if data.draw(st.booleans(), label="from the current values"):
        url = data.draw(st.sampled_from(sorted(u for u in forms if "/edit/" in u
                                               or "/actions/" in u)), label="url")
        current = _current_values(client.get(url).get_data(as_text=True))
        fields = data.draw(st.lists(st.sampled_from(forms[url]), min_size=1, max_size=3,
                                    unique_by=lambda f: f.name), label="fields")
        changed = data.draw(form_data(fields, extra_names=("id",)), label="changes")
        check_answer(client.post(url, data={**current, **changed}, follow_redirects=True))
    else:
        fuzz_forms(client, forms, data)


def _current_values(page):
    """What the browser would send of the form as shown (inputs' values, selected
    options, textareas, checked boxes)."""
    import re
    from html import unescape
    values = {}
    for tag in re.findall(r"<input\b[^>]*>", page):
        name = re.search(r'name="([^"]*)"', tag)
        kind = re.search(r'type="([^"]*)"', tag)
        kind = kind.group(1) if kind else "text"
        if not name or kind in ("submit", "button", "file", "password"):
            continue
        if kind in ("checkbox", "radio") and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        values[name.group(1)] = unescape(value.group(1)) if value else "y"
    for name, body in re.findall(r'<select\b[^>]*name="([^"]*)"[^>]*>(.*?)</select>', page,
                                 re.DOTALL):
        chosen = re.findall(r'<option\b[^>]*selected[^>]*value="([^"]*)"|'
                            r'<option\b[^>]*value="([^"]*)"[^>]*selected', body)
        if chosen:
            values[name] = [unescape(a or b) for a, b in chosen]
    for name, body in re.findall(r'<textarea\b[^>]*name="([^"]*)"[^>]*>(.*?)</textarea>', page,
                                 re.DOTALL):
        values[name] = unescape(body.lstrip("\n"))
    return values


# --- CSRF on: the token taken from the page -------------------------------------------------

@FUZZ
@given(data=st.data())
def test_register_form_with_csrf_on(app, client, data):
    """As a browser: each example reads the page, then sends its token with the drawn
    values; the token passes (no CSRF refusal) and the answer holds the properties."""
    from forms.base import CSRF_MESSAGE
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get("/compte/creer").get_data(as_text=True)
        fields, token = form_fields(page)
        assert token
        body = data.draw(form_data(fields, extra_names=("autre",)), label="body")
        response = client.post("/compte/creer", data={**body, "csrf_token": token},
                               follow_redirects=True)
        check_answer(response, SUCCESS_PAGES)
        assert str(CSRF_MESSAGE) not in response.get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# --- Regressions: what the properties above found ------------------------------------------

def test_a_desistement_motif_with_control_characters_is_refused_next_to_it(favourable):
    """Found by test_desistement_motif: the candidate's reason was not checked for
    control characters — SQLite kept a NUL, PostgreSQL refused it (a bare 400)."""
    from ecandidat.text import CONTROL_CHARACTER_MESSAGE
    client, new_candidature = favourable
    candidature = new_candidature()
    response = client.post(f"/candidatures/{candidature.id}/desister",
                           data={"motif": "Je pars\x00 ailleurs\x1b"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="motif-error"' in page and str(CONTROL_CHARACTER_MESSAGE) in page
    assert ">Je pars ailleurs</textarea>" in page  # kept as typed, less what is refused
    saved = Candidature.get_by_id(candidature.id)
    assert saved.confirmation is None and saved.motif_desistement is None
    response = client.post(f"/candidatures/{candidature.id}/desister",
                           data={"motif": "Je pars\tailleurs"})
    assert response.status_code == 302
    assert Candidature.get_by_id(candidature.id).motif_desistement == "Je pars\tailleurs"


def test_a_console_number_past_the_column_is_refused_next_to_its_field(client):
    """Found by test_console_forms (from the current values): a whole number past a
    4-byte INTEGER (a capacité of 2**70) was saved as is — OverflowError, a 500, on
    SQLite; "integer out of range", a bare 400, on PostgreSQL."""
    console_login(client)
    formation = open_formation()
    url = f"/admin/formation/edit/?id={formation.id}"
    for value, accepted in ((str(2**70), False), ("2147483648", False), ("-2147483649", False),
                            ("2147483647", True)):
        values = _current_values(client.get(url).get_data(as_text=True))
        response = client.post(url, data={**values, "capacite": value})
        page = response.get_data(as_text=True)
        assert ("Ce nombre est hors des limites acceptées (de -2147483648 à 2147483647)."
                in page) is not accepted, value
        assert Formation.get_by_id(formation.id).capacite == (2147483647 if accepted
                                                              else formation.capacite)


@pytest.mark.parametrize("value", [str(2**63), "-" + str(2**63 + 1), "2147483648", "abc",
                                   "1.5"])
def test_a_console_list_value_that_cannot_be_a_key_is_refused_next_to_its_field(client, value):
    """Found by test_console_forms: a foreign key's list sent a number past the column
    (centre=9223372036854775808: OverflowError, a 500, on SQLite) or a word (an
    "invalid input syntax" error on PostgreSQL): now a choice that does not exist."""
    console_login(client)
    formation = open_formation()
    commission = formation.commission
    url = f"/admin/commission/edit/?id={commission.id}"
    values = _current_values(client.get(url).get_data(as_text=True))
    response = client.post(url, data={**values, "centre": value, "libelle": "Changé"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "N&#39;est pas un choix valide." in page or "N'est pas un choix valide." in page
    assert type(commission).get_by_id(commission.id).libelle == commission.libelle
    response = client.post(url, data={**values, "libelle": "Changé"})
    assert response.status_code == 302
    assert type(commission).get_by_id(commission.id).libelle == "Changé"


def test_a_scoped_console_list_value_past_the_column_is_refused_too(client):
    """Found by test_console_forms: the pièces' centre list (scoped to what the user
    sees) met centre=99…9 (40 digits) again in its own check: a 500 on SQLite."""
    console_login(client)
    open_formation()
    response = client.post("/admin/piecejustificative/new/",
                           data={"code": "X1", "libelle": "Pièce", "centre": "9" * 40})
    assert response.status_code == 200
    assert "choix valide" in response.get_data(as_text=True)
    from ecandidat.models import PieceJustificative
    assert not PieceJustificative.select().where(PieceJustificative.code == "X1").exists()


# --- The checks themselves -----------------------------------------------------------------

@pytest.mark.parametrize("status, body, caught", [
    (500, "<h1>Erreur interne</h1>", "status"),
    (400, "<h1>Bad Request</h1>", "error page"),
    (200, '<small id="nom-error" class="field-error">This field is required.</small>',
     "English"),
    (200, '<div class="invalid-feedback">Not a valid integer value.</div>', "English"),
    (200, '<p class="flash flash-error">Failed to create record.</p>', "English"),
    (200, "<form><p>Invalid Choice: could not coerce.</p></form>", "English"),
    (200, "<form method=post><input name=nom></form>", "say why"),
])
def test_the_answer_checks_catch_what_they_look_for(app, status, body, caught):
    response = app.response_class(body, status=status)
    response.history = ()
    with pytest.raises(AssertionError):
        check_answer(response)


def test_the_answer_checks_pass_a_french_refusal_and_a_success_page(app):
    refused = app.response_class('<small id="nom-error" class="field-error">Saisissez votre '
                                 'nom.</small>')
    refused.history = ()
    assert check_answer(refused) == ["Saisissez votre nom."]
    accepted = app.response_class("<h1>Validez votre adresse mail</h1>")
    accepted.history = ()
    assert check_answer(accepted, SUCCESS_PAGES) == []

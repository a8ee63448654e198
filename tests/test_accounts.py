"""Créer un compte, validation, Connexion, identifiants oubliés, Déconnexion."""
import datetime
import html
import re

import pytest
import time_machine

from conftest import link_in, outbox, sign_in
from ecandidat import clock
from ecandidat.models import CompteCandidat
from ecandidat.security import hash_token

STRONG = "trois chevaux bleus dansent"


def register(client, **overrides):
    data = {"nom": "Dupont", "prenom": "Thomas", "email": "thomas.dupont@example.org",
            "email_confirm": "thomas.dupont@example.org", "password": STRONG,
            "password_confirm": STRONG}
    data.update(overrides)
    return client.post("/compte/creer", data=data)


def page(response):
    return html.unescape(response.get_data(as_text=True))


def test_register_creates_an_unvalidated_account_and_mails_a_hashed_link(client):
    response = register(client)
    assert response.status_code == 200
    assert "Un mail vient d'être envoyé à thomas.dupont@example.org" in page(response)
    compte = CompteCandidat.get()
    assert not compte.valide and compte.nom == "DUPONT"
    assert re.fullmatch(r"[0-9A-Z]{8}", compte.numero_dossier)
    [mail] = outbox("CPT_MIN_CREATE")
    assert mail.destinataire == "thomas.dupont@example.org"
    assert compte.numero_dossier in mail.corps_texte
    token = link_in(mail.corps_texte, "/compte/valider/").rsplit("/", 1)[1]
    assert token not in (compte.validation_token_hash or "")
    assert compte.validation_token_hash == hash_token(token)


@pytest.mark.parametrize("overrides, message", [
    ({"email_confirm": "autre@example.org"}, "Les deux adresses mail ne sont pas identiques."),
    ({"email": "pas-une-adresse", "email_confirm": "pas-une-adresse"},
     "Cette adresse mail n'est pas valide."),
    ({"password": "court", "password_confirm": "court"},
     "Le mot de passe doit contenir au moins 12 caractères."),
    ({"password": "motdepasse123", "password_confirm": "motdepasse123"},
     "Ce mot de passe est trop courant"),
    ({"password": "thomasdupont2025!", "password_confirm": "thomasdupont2025!"},
     "Le mot de passe ne doit pas contenir votre nom"),
    ({"password_confirm": "autre chose encore"}, "Les deux mots de passe ne sont pas identiques."),
    ({"nom": ""}, "Saisissez votre nom."),
])
def test_register_refusals_keep_what_was_typed(client, overrides, message):
    response = register(client, **overrides)
    assert response.status_code == 200
    assert message in page(response)
    assert 'value="Thomas"' in page(response)
    assert CompteCandidat.select().count() == 0 and outbox() == []


def test_an_address_serves_one_account_only(client, make_compte):
    make_compte(email="thomas.dupont@example.org")
    response = register(client, email="Thomas.Dupont@example.org",
                        email_confirm="Thomas.Dupont@example.org")
    assert "Cette adresse mail est déjà utilisée par un compte." in page(response)
    assert CompteCandidat.select().count() == 1


def test_validation_link_is_single_use(client):
    register(client)
    link = link_in(outbox()[0].corps_texte, "/compte/valider/")
    response = client.get(link)
    assert response.headers["Location"].endswith("/connexion")
    assert CompteCandidat.get().valide
    again = client.get(link, follow_redirects=True)
    assert "n'est pas valide ou a déjà été utilisé" in page(again)


def test_validation_link_expires(client):
    register(client)
    link = link_in(outbox()[0].corps_texte, "/compte/valider/")
    with time_machine.travel(clock.now() + datetime.timedelta(days=6)):
        response = client.get(link, follow_redirects=True)
    assert "Ce lien de validation a expiré" in page(response)
    assert not CompteCandidat.get().valide


def test_login_with_email_or_numero_dossier(client, make_compte):
    compte, password = make_compte()
    for identifier in (compte.email.upper(), compte.numero_dossier.lower()):
        response = client.post("/connexion", data={"identifier": identifier,
                                                    "password": password})
        assert response.status_code == 302, identifier
        assert compte.numero_dossier in page(client.get("/"))
        client.post("/deconnexion")


def test_login_refusals(client, make_compte):
    compte, password = make_compte()
    wrong = client.post("/connexion", data={"identifier": compte.email, "password": "faux"})
    assert "Identifiant ou mot de passe incorrect." in page(wrong)
    unknown = client.post("/connexion", data={"identifier": "x@example.org", "password": "faux"})
    assert "Identifiant ou mot de passe incorrect." in page(unknown)
    pending, pending_password = make_compte(email="new@example.org", valide=False)
    response = client.post("/connexion", data={"identifier": pending.email,
                                               "password": pending_password})
    assert "pas encore validé" in page(response)
    empty = client.post("/connexion", data={"identifier": "", "password": ""})
    assert "Saisissez votre adresse mail ou votre numéro de dossier." in page(empty)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/",
                                    "/\\evil.example/", "/\\/evil.example/", "/\t/evil.example/"])
def test_login_never_redirects_off_site(client, make_compte, target):
    """Browsers read "/\\evil" as "//evil" and drop tabs: all refused."""
    compte, password = make_compte()
    response = client.post("/connexion", query_string={"next": target}, data={
        "identifier": compte.email, "password": password})
    assert response.headers["Location"] == "/"


def test_logout_ends_the_session_for_good(app, make_compte):
    compte, _ = make_compte()
    client = app.test_client()
    sign_in(client, compte)
    stolen = client.get_cookie("session").value
    assert compte.numero_dossier in page(client.get("/"))
    client.post("/deconnexion")
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert compte.numero_dossier not in page(replay.get("/"))
    assert CompteCandidat.get().session_token != compte.session_token


def test_forgot_gives_the_same_answer_whether_or_not_the_address_exists(client, make_compte):
    make_compte(email="known@example.org")
    answers = []
    for email in ("known@example.org", "unknown@example.org"):
        response = client.post("/compte/identifiants-oublies", data={"email": email},
                               follow_redirects=True)
        answers.append(page(response).split("<main", 1)[1])
    assert answers[0] == answers[1]
    assert "Si un compte existe avec cette adresse" in answers[0]
    assert [m.destinataire for m in outbox("CPT_MIN_MDP_OUBLIE")] == ["known@example.org"]


def test_reset_link_is_single_use_and_ends_other_sessions(client, make_compte):
    compte, _ = make_compte()
    client.post("/compte/identifiants-oublies", data={"email": compte.email})
    link = link_in(outbox("CPT_MIN_MDP_OUBLIE")[0].corps_texte, "/compte/reinitialiser/")
    weak = client.post(link, data={"password": "court", "password_confirm": "court"})
    assert "au moins 12 caractères" in page(weak)
    new_password = "un autre mot de passe robuste"
    response = client.post(link, data={"password": new_password,
                                       "password_confirm": new_password})
    assert response.headers["Location"].endswith("/connexion")
    assert CompteCandidat.get().session_token != compte.session_token
    assert client.post("/connexion", data={"identifier": compte.email,
                                           "password": new_password}).status_code == 302
    reused = client.get(link, follow_redirects=True)
    assert "n'est pas valide ou a déjà été utilisé" in page(reused)


def test_reset_link_expires_after_two_hours(client, make_compte):
    compte, password = make_compte()
    client.post("/compte/identifiants-oublies", data={"email": compte.email})
    link = link_in(outbox("CPT_MIN_MDP_OUBLIE")[0].corps_texte, "/compte/reinitialiser/")
    with time_machine.travel(clock.now() + datetime.timedelta(hours=2, minutes=1)):
        response = client.post(link, data={"password": "encore un mot de passe sûr",
                                           "password_confirm": "encore un mot de passe sûr"},
                               follow_redirects=True)
    assert "a expiré (2 heures)" in page(response)
    assert client.post("/connexion", data={"identifier": compte.email,
                                           "password": password}).status_code == 302


def test_lost_activation_code_sends_a_new_link_and_voids_the_old(client):
    register(client)
    old_link = link_in(outbox()[0].corps_texte, "/compte/valider/")
    for email in ("thomas.dupont@example.org", "nobody@example.org"):
        response = client.post("/compte/code-activation", data={"email": email},
                               follow_redirects=True)
        assert "Si un compte non validé existe avec cette adresse" in page(response)
    [mail] = outbox("CPT_MIN_LIEN_VALID_OUBLIE")
    assert "n'est pas valide" in page(client.get(old_link, follow_redirects=True))
    client.get(link_in(mail.corps_texte, "/compte/valider/"))
    assert CompteCandidat.get().valide


def test_change_of_email_revalidates_and_logs_out(candidate_client, make_compte):
    make_compte(email="taken@example.org")
    client = candidate_client
    taken = client.post("/compte/adresse-mail", data={
        "email": "taken@example.org", "email_confirm": "taken@example.org",
        "password": "un mot de passe solide"})
    assert "déjà utilisée" in page(taken)
    wrong = client.post("/compte/adresse-mail", data={
        "email": "new@example.org", "email_confirm": "new@example.org", "password": "faux"})
    assert "Mot de passe incorrect." in page(wrong)
    response = client.post("/compte/adresse-mail", data={
        "email": "new@example.org", "email_confirm": "new@example.org",
        "password": "un mot de passe solide"})
    assert "Un mail vient d'être envoyé à new@example.org" in page(response)
    compte = CompteCandidat.get_by_id(client.compte.id)
    assert compte.email == "new@example.org" and not compte.valide
    assert client.get("/compte/adresse-mail").status_code == 302  # signed out
    [mail] = outbox("CPT_MIN_MOD_MAIL")
    assert mail.destinataire == "new@example.org"
    client.get(link_in(mail.corps_texte, "/compte/valider/"))
    assert CompteCandidat.get_by_id(compte.id).valide


def test_login_is_rate_limited(app, make_compte):
    app.config["RATELIMIT_ENABLED"] = True
    from views.limits import limiter
    limiter.init_app(app)
    limiter.reset()
    compte, password = make_compte()
    client = app.test_client()
    codes = [client.post("/connexion", data={"identifier": compte.email,
                                              "password": "faux"}).status_code
             for _ in range(11)]
    assert codes[-1] == 429 and 429 not in codes[:10]
    blocked = client.post("/connexion", data={"identifier": compte.email, "password": password})
    assert blocked.status_code == 429 and "Trop de tentatives" in page(blocked)
    limiter.reset()


def test_password_reset_requests_are_rate_limited(app, make_compte):
    app.config["RATELIMIT_ENABLED"] = True
    from views.limits import MAIL_REQUESTS, limiter
    limiter.init_app(app)
    limiter.reset()
    compte, _ = make_compte()
    allowed = int(MAIL_REQUESTS.split()[0])
    client = app.test_client()
    codes = [client.post("/compte/identifiants-oublies",
                         data={"email": compte.email}).status_code for _ in range(allowed + 1)]
    assert codes[-1] == 429 and 429 not in codes[:allowed]
    # The reset link itself is limited too: guessing tokens is not an option.
    codes = [client.post("/compte/reinitialiser/guess", data={}).status_code
             for _ in range(allowed + 1)]
    assert codes[-1] == 429
    limiter.reset()


def test_forms_need_a_csrf_token(app, make_compte):
    """A form without its token comes back with the reason and changes nothing; a
    button without one (Déconnexion) gets the French 400 page."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post("/compte/creer", data={"nom": "X"})
    assert response.status_code == 200
    assert "Votre session a expiré" in page(response)
    assert CompteCandidat.select().count() == 0
    response = client.post("/deconnexion")
    assert response.status_code == 400
    assert "Votre session a expiré" in page(response)

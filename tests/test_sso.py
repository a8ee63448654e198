"""Single sign-on through the institution's OpenID provider (issue 10 §2), against a
real provider (npm's oidc-provider run by node, tests/oidc/): « Connexion pour les
étudiants actuels » for candidates, « Connexion avec l'identité de l'établissement »
for console users, and their refusals."""
import html
import io
import pathlib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from conftest import sign_in
from ecandidat import accounts, sso
from ecandidat.models import AuditLog, Candidat, Candidature, CompteCandidat, User
from ecandidat.security import check_password
from ecandidat.users import create_user
from factories import PDF_BYTES, complete_candidat, open_formation, pieces

AXE = pathlib.Path(__file__).parent / "vendor" / "axe.min.js"
STUDENT_BUTTON = "Connexion pour les étudiants actuels"
CONSOLE_BUTTON = "Connexion avec l'identité de l'établissement"

# The provider's accounts: the login typed on its login page is the `sub`.
ACCOUNTS = {
    "etudiant-42": {"email": "Lea.Durand@etu.univ-test.fr", "email_verified": True,
                    "family_name": "Durand", "given_name": "Léa",
                    "supannCodeINE": "1234567890A"},
    "etudiant-43": {"email": "camille.martin@example.org", "email_verified": True,
                    "family_name": "Martin", "given_name": "Camille"},
    "etudiant-44": {"email": "sans.verification@etu.univ-test.fr", "email_verified": False,
                    "family_name": "Petit", "given_name": "Jean"},
    "agent-7": {"email": "gestion@univ-test.fr", "email_verified": True,
                "family_name": "Bernard", "given_name": "Alice"},
    "agent-8": {"email": "inconnu@univ-test.fr", "email_verified": True,
                "family_name": "Inconnu", "given_name": "Paul"},
}


@pytest.fixture
def provider(app, live_server, oidc_provider):
    # Real forms with their tokens: CSRF on, as in production.
    app.config.update(WTF_CSRF_ENABLED=True, OIDC_INE_CLAIM="supannCodeINE")
    return oidc_provider(ACCOUNTS)


@pytest.fixture
def new_page(browser, live_server):
    """Open tabs in fresh browser contexts: no cookie of the app nor of the provider."""
    contexts = []

    def open_page():
        context = browser.new_context(locale="fr-FR", base_url=live_server.url)
        context.set_default_timeout(15_000)
        # The provider's built-in pages import a web font: no Internet here.
        context.route(re.compile(r"https://fonts\.(googleapis|gstatic)\.com/.*"),
                      lambda route: route.abort())
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def log_in_at_provider(page, provider, login):
    """Fill the provider's own login page, then accept its consent page if it asks."""
    page.wait_for_url(provider.issuer + "/**")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("mot de passe de l'ENT")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_load_state()
    if page.url.startswith(provider.issuer):
        page.get_by_role("button", name="Continue").click()


def student_login(page, provider, login):
    page.goto("/connexion")
    page.get_by_role("button", name=STUDENT_BUTTON).click()
    log_in_at_provider(page, provider, login)


def test_a_current_student_logs_in_lands_on_mon_compte_then_again_on_the_same_account(
        app, provider, new_page):
    page = new_page()
    student_login(page, provider, "etudiant-42")
    page.wait_for_url("**/mon-compte/")
    expect(page.get_by_role("heading", name="Mon compte", level=1)).to_be_visible()
    compte = CompteCandidat.get()
    expect(page.get_by_text(f"N° de dossier : {compte.numero_dossier}")).to_be_visible()
    assert (compte.email, compte.nom, compte.prenom) == ("lea.durand@etu.univ-test.fr",
                                                         "DURAND", "Léa")
    assert compte.valide and compte.password_hash is None
    assert (compte.sso_issuer, compte.sso_subject) == (provider.issuer, "etudiant-42")
    # The INE the directory released is in the file already (the guide's promise).
    candidat = Candidat.get(Candidat.compte == compte)
    assert (candidat.ine, candidat.cle_ine) == ("1234567890", "A")
    assert [row.action for row in AuditLog.select().order_by(AuditLog.id)] == [
        "creer_compte_sso", "connexion_sso"]

    # The candidate then uses another address: the next login follows `sub`, not it.
    CompteCandidat.update(email="lea.perso@example.org").execute()
    again = new_page()
    student_login(again, provider, "etudiant-42")
    again.wait_for_url("**/mon-compte/")
    expect(again.get_by_text(f"N° de dossier : {compte.numero_dossier}")).to_be_visible()
    assert CompteCandidat.select().count() == 1
    assert AuditLog.select().where(AuditLog.action == "connexion_sso").count() == 2

    again.get_by_role("link", name="Informations perso.").first.click()
    expect(again.get_by_role("heading", level=1)).to_have_text(
        "Edition des informations personnelles")
    expect(again.locator("input[name=ine]")).to_have_value("1234567890")


def test_first_login_links_the_account_of_the_verified_address(app, provider, new_page,
                                                               make_compte):
    compte, password = make_compte(email="camille.martin@example.org")
    page = new_page()
    student_login(page, provider, "etudiant-43")
    page.wait_for_url("**/mon-compte/")
    expect(page.get_by_text(f"N° de dossier : {compte.numero_dossier}")).to_be_visible()
    linked = CompteCandidat.get_by_id(compte.id)
    assert (linked.sso_issuer, linked.sso_subject) == (provider.issuer, "etudiant-43")
    # A validated account keeps the password its owner chose.
    assert check_password(linked.password_hash, password)
    assert CompteCandidat.select().count() == 1
    assert AuditLog.get(AuditLog.action == "lier_sso").record_id == compte.id


def test_an_address_the_provider_did_not_verify_is_refused(app, provider, new_page):
    page = new_page()
    student_login(page, provider, "etudiant-44")
    page.wait_for_url("**/connexion")
    expect(page.get_by_text("Votre adresse mail n'est pas vérifiée")).to_be_visible()
    assert CompteCandidat.select().count() == 0


def test_cancelling_at_the_provider_brings_back_to_connexion(app, provider, new_page):
    page = new_page()
    page.goto("/connexion")
    page.get_by_role("button", name=STUDENT_BUTTON).click()
    page.wait_for_url(provider.issuer + "/**")
    page.get_by_role("link", name="[ Cancel ]").click()
    page.wait_for_url("**/connexion")
    expect(page.get_by_text("a été annulée")).to_be_visible()
    assert CompteCandidat.select().count() == 0


def test_the_login_pages_with_their_buttons_pass_axe(app, provider, new_page):
    page = new_page()
    for path in ("/connexion", "/admin/login"):
        page.goto(path)
        # evaluate() runs outside the page's CSP, which forbids injected scripts.
        page.evaluate(AXE.read_text())
        violations = page.evaluate("""async () => (await axe.run(document, {runOnly:
            {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}))
            .violations.flatMap(v => v.nodes.map(n => v.id + " " + n.target.join(" ")))""")
        assert violations == [], (path, violations)


def test_a_staff_member_logs_in_to_the_console_and_an_unknown_one_is_refused(
        app, provider, new_page):
    user, _password = create_user("gestion@univ-test.fr", "admin", nom="BERNARD",
                                  prenom="Alice")
    page = new_page()
    page.goto("/admin/login")
    page.get_by_role("link", name=CONSOLE_BUTTON).click()
    log_in_at_provider(page, provider, "agent-7")
    page.wait_for_url(re.compile(r".*/admin/$"))
    expect(page.get_by_text("Administrateur").first).to_be_visible()
    linked = User.get_by_id(user.id)
    assert (linked.sso_subject, linked.role) == ("agent-7", "admin")
    assert [(row.actor, row.action) for row in AuditLog.select().order_by(AuditLog.id)] == [
        ("user:gestion@univ-test.fr", "lier_sso"), ("user:gestion@univ-test.fr", "connexion_sso")]

    stranger = new_page()
    stranger.goto("/admin/login")
    stranger.get_by_role("link", name=CONSOLE_BUTTON).click()
    log_in_at_provider(stranger, provider, "agent-8")
    stranger.wait_for_url("**/admin/login")
    expect(stranger.get_by_text("Aucun compte de la console ne correspond")).to_be_visible()
    assert User.select().count() == 1
    stranger.goto("/admin/")
    stranger.wait_for_url("**/admin/login**")


def test_a_forged_or_replayed_answer_is_refused_without_error(app, client, oidc_provider):
    provider = oidc_provider(ACCOUNTS)
    # No login started in this session: any state is forged.
    answer = client.get("/connexion/etablissement/retour?code=abc&state=forged")
    assert answer.status_code == 302 and answer.location.endswith("/connexion")
    assert "n'a pas abouti" in text(client.get("/connexion"))

    started = client.get("/connexion/etablissement")
    assert started.status_code == 302 and started.location.startswith(provider.issuer)
    query = parse_qs(urlsplit(started.location).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    state = query["state"][0]
    # Another state than the one issued, a state for the console's callback, and the right
    # state with a code the provider never gave: all refused.
    for callback in (f"/connexion/etablissement/retour?code=abc&state={state}x",
                     f"/admin/connexion-etablissement/retour?code=abc&state={state}",
                     f"/connexion/etablissement/retour?code=abc&state={state}"):
        answer = client.get(callback)
        assert answer.status_code == 302 and answer.location.endswith(("/connexion",
                                                                       "/admin/login"))
        assert "_user_id" not in _session(client)
    # The state is used once: replaying it is refused as well.
    answer = client.get(f"/connexion/etablissement/retour?code=abc&state={state}")
    assert answer.status_code == 302 and answer.location.endswith("/connexion")
    assert CompteCandidat.select().count() == 0 and User.select().count() == 0


def text(response):
    return html.unescape(response.get_data(as_text=True))


def _session(client):
    with client.session_transaction() as session:
        return dict(session)


def test_provider_down_is_a_message_not_an_error(app, client):
    app.config.update(OIDC_ISSUER="http://127.0.0.1:9", OIDC_CLIENT_ID="x",
                      OIDC_CLIENT_SECRET="y")
    answer = client.get("/connexion/etablissement")
    assert answer.status_code == 302 and answer.location.endswith("/connexion")
    assert "ne répond pas" in text(client.get("/connexion"))
    answer = client.get("/admin/connexion-etablissement")
    assert answer.status_code == 302 and answer.location.endswith("/admin/login")


def test_the_buttons_show_only_when_configured(app, client):
    assert STUDENT_BUTTON not in client.get("/connexion").get_data(as_text=True)
    assert CONSOLE_BUTTON not in text(client.get("/admin/login"))
    assert client.get("/connexion/etablissement").status_code == 404
    assert client.get("/connexion/etablissement/retour?code=a&state=b").status_code == 404
    assert client.get("/admin/connexion-etablissement").status_code == 404

    app.config.update(OIDC_ISSUER="https://idp.univ-test.fr", OIDC_CLIENT_ID="ecandidat",
                      OIDC_CLIENT_SECRET="secret")
    page = text(client.get("/connexion"))
    assert STUDENT_BUTTON in page and 'href="/connexion/etablissement"' in page
    console = text(client.get("/admin/login"))
    assert CONSOLE_BUTTON in console and 'href="/admin/connexion-etablissement"' in console


# --- The rules, identity by identity --------------------------------------------------

ISSUER = "https://idp.univ-test.fr"


def identity(sub="e1", email="lea@etu.univ-test.fr", verified=True, **claims):
    return sso.Identity.from_claims(
        ISSUER, {"sub": sub, "email": email, "email_verified": verified,
                 "family_name": "Durand", "given_name": "Léa", **claims},
        ine_claim="supannCodeINE")


def test_an_unvalidated_account_of_the_address_loses_the_password_someone_else_chose(
        app, make_compte):
    compte, password = make_compte(email="lea@etu.univ-test.fr", valide=False)
    linked, how = sso.sign_in_candidate(identity())
    assert (linked.id, how) == (compte.id, "email")
    linked = CompteCandidat.get_by_id(compte.id)
    assert linked.valide and linked.password_hash is None
    assert linked.session_token != compte.session_token
    with pytest.raises(accounts.AccountError, match="Identifiant ou mot de passe incorrect"):
        accounts.authenticate("lea@etu.univ-test.fr", password)


def test_the_ine_links_the_one_account_whose_file_holds_it(app, make_compte):
    compte, _ = make_compte(email="lea.perso@example.org", valide=False)
    Candidat.create(compte=compte, nom_patronymique="DURAND", prenom="Léa", ine="1234567890",
                    cle_ine="A")
    linked, how = sso.sign_in_candidate(identity(supannCodeINE="1234567890a"))
    assert (linked.id, how) == (compte.id, "ine")
    assert linked.password_hash is None and linked.valide  # whoever typed the INE is out
    # Two files claiming one INE: neither is linked, a new account is made.
    other, _ = make_compte(email="autre@example.org")
    Candidat.create(compte=other, nom_patronymique="X", prenom="Y", ine="2234567890",
                    cle_ine="B")
    third, _ = make_compte(email="troisieme@example.org")
    Candidat.create(compte=third, nom_patronymique="X", prenom="Z", ine="2234567890",
                    cle_ine="B")
    created, how = sso.sign_in_candidate(identity(sub="e2", email="x@etu.univ-test.fr",
                                                  supannCodeINE="2234567890B"))
    assert how == "creation" and created.id not in (other.id, third.id)


def test_the_ine_never_hands_a_validated_password_account_to_the_student(app, make_compte):
    """Anyone may type another student's INE in their own file: the student's first
    institutional login must not land in (and stay linked to) that account."""
    squatter, password = make_compte(email="squatter@example.org")
    Candidat.create(compte=squatter, nom_patronymique="X", prenom="Y", ine="1234567890",
                    cle_ine="A")
    with pytest.raises(sso.SsoError, match="porte déjà votre INE"):
        sso.sign_in_candidate(identity(supannCodeINE="1234567890A"))
    assert CompteCandidat.get_by_id(squatter.id).sso_subject is None
    assert accounts.authenticate("squatter@example.org", password).id == squatter.id


def test_an_account_linked_to_another_identity_is_not_taken_over(app, make_compte):
    compte, _ = make_compte(email="lea@etu.univ-test.fr")
    sso.sign_in_candidate(identity(sub="e1"))
    with pytest.raises(sso.SsoError, match="autre identité"):
        sso.sign_in_candidate(identity(sub="e9"))
    assert CompteCandidat.get_by_id(compte.id).sso_subject == "e1"


def test_a_linked_identity_logs_in_even_once_its_address_is_unverified(app):
    compte, how = sso.sign_in_candidate(identity())
    assert how == "creation"
    again, how = sso.sign_in_candidate(identity(verified=False, email="new@example.org"))
    assert (again.id, how) == (compte.id, "lien")


def test_a_missing_address_is_refused(app):
    with pytest.raises(sso.SsoError, match="n'a pas transmis votre adresse"):
        sso.sign_in_candidate(identity(email=None))
    with pytest.raises(sso.SsoError, match="identifiant"):
        sso.sign_in_candidate(identity(sub=""))


def test_the_console_never_creates_a_user_nor_lets_an_inactive_one_in(app):
    with pytest.raises(sso.SsoError, match="Aucun compte de la console"):
        sso.sign_in_console_user(identity(email="gestion@univ-test.fr"))
    with pytest.raises(sso.SsoError, match="pas vérifiée"):
        sso.sign_in_console_user(identity(email="gestion@univ-test.fr", verified=False))
    assert User.select().count() == 0
    user, _ = create_user("gestion@univ-test.fr", "admin")
    User.update(actif=False).where(User.id == user.id).execute()
    with pytest.raises(sso.SsoError, match="désactivé"):
        sso.sign_in_console_user(identity(email="gestion@univ-test.fr"))
    assert User.get_by_id(user.id).sso_subject is None
    User.update(actif=True).where(User.id == user.id).execute()
    assert sso.sign_in_console_user(identity(email="gestion@univ-test.fr")).id == user.id
    assert User.get_by_id(user.id).role == "admin"


def test_an_account_made_by_single_sign_on_applies_like_any_other(app, client):
    compte, _how = sso.sign_in_candidate(identity())
    sign_in(client, compte)
    complete_candidat(compte)
    formation = open_formation()
    asked = pieces(formation)
    assert client.post(f"/candidatures/candidater/{formation.id}").status_code == 302
    candidature = Candidature.get()
    for piece in (asked["lettre"], asked["identite"]):
        client.post(f"/candidatures/{candidature.id}/pieces/{piece.id}/deposer",
                    data={"fichier": (io.BytesIO(PDF_BYTES), "piece.pdf")},
                    content_type="multipart/form-data")
    client.post(f"/candidatures/{candidature.id}/pieces/{asked['handicap'].id}/non-concerne")
    client.post(f"/candidatures/{candidature.id}/transmettre")
    assert Candidature.get_by_id(candidature.id).statut == "RE"


def test_two_first_logins_at_once_make_one_account(app):
    from test_races import race

    first, second = race(app, lambda: sso.sign_in_candidate(identity()),
                         lambda: sso.sign_in_candidate(identity()))
    assert not isinstance(first, Exception) and not isinstance(second, Exception), (first,
                                                                                   second)
    assert first[0].id == second[0].id
    assert {first[1], second[1]} == {"creation", "lien"}
    assert CompteCandidat.select().count() == 1

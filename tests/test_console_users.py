"""Console users: role and scope from lists, passwords set from the console and the
CLI with the candidates' policy, secrets never shown, deactivation signs out."""
import re

import pytest

from ecandidat.models import Centre, CommissionMembre, GestionnaireCentre, User
from ecandidat.security import check_password
from ecandidat.users import create_user
from factories import open_formation
from test_console import STRONG, console_login, flashes, page_text

OTHER_STRONG = "trois chats gris sur le toit"


def user_form(user=None, **fields):
    data = {"email": user.email if user else "nouveau@example.org",
            "nom": user.nom if user else "Durand",
            "prenom": (user.prenom if user else "") or "Alix",
            "role": user.role if user else "admin", "actif": "y"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_role_and_scope_are_chosen_from_lists(app, client):
    formation = open_formation()
    console_login(client)
    html = page_text(client, "/admin/user/new/")
    assert re.search(r'<select[^>]+name="role"', html)
    assert "Gestionnaire de centre" in html and "Membre de commission" in html
    assert re.search(r'<select[^>]+name="scope_centre"', html)
    assert re.search(r'<select[^>]+multiple[^>]+name="scope_commissions"|'
                     r'<select[^>]+name="scope_commissions"[^>]+multiple', html)
    centre = formation.commission.centre
    response = client.post("/admin/user/new/", data=user_form(
        email="g@example.org", role="gestionnaire", scope_centre=centre.id,
        new_password=STRONG))
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    gestionnaire = User.get(User.email == "g@example.org")
    assert GestionnaireCentre.get(GestionnaireCentre.user == gestionnaire).centre_id == centre.id
    assert check_password(gestionnaire.password_hash, STRONG)
    response = client.post("/admin/user/new/", data=user_form(
        email="m@example.org", role="commission", scope_commissions=[formation.commission_id],
        new_password=STRONG))
    assert response.status_code == 302
    membre = User.get(User.email == "m@example.org")
    assert [m.commission_id for m in membre.commissions] == [formation.commission_id]
    # Changing the role moves the scope: the member becomes a centre manager.
    client.post(f"/admin/user/edit/?id={membre.id}", data=user_form(
        membre, role="gestionnaire", scope_centre=centre.id))
    assert CommissionMembre.select().where(CommissionMembre.user == membre.id).count() == 0
    assert GestionnaireCentre.select().where(GestionnaireCentre.user == membre.id).count() == 1


def test_a_role_without_its_scope_is_refused_next_to_the_field(app, client):
    console_login(client)
    response = client.post("/admin/user/new/", data=user_form(
        email="g@example.org", role="gestionnaire", new_password=STRONG))
    html = response.get_data(as_text=True)
    assert "doit être rattaché à un centre" in flashes(html)
    assert not User.select().where(User.email == "g@example.org").exists()


def test_console_passwords_follow_the_candidates_policy(app, client):
    console_login(client)
    response = client.post("/admin/user/new/", data=user_form(new_password="motdepasse12"))
    html = response.get_data(as_text=True)
    assert "trop courant ou trop facile à deviner" in flashes(html)
    assert not User.select().where(User.email == "nouveau@example.org").exists()
    response = client.post("/admin/user/new/", data=user_form(new_password=""))
    assert "Choisissez le mot de passe" in flashes(response.get_data(as_text=True))
    response = client.post("/admin/user/new/", data=user_form(new_password="Durand alix 2024"))
    assert "nom, votre prénom" in flashes(response.get_data(as_text=True))


def test_a_taken_address_is_explained_in_french(app, client):
    console_login(client)
    response = client.post("/admin/user/new/", data=user_form(
        email="Admin@Example.org", new_password=OTHER_STRONG))
    html = response.get_data(as_text=True)
    assert "Cette adresse mail est déjà utilisée." in flashes(html)
    assert "Failed" not in html and User.select().count() == 1


def test_secrets_are_never_shown(app, client):
    admin = console_login(client)
    stored = User.get_by_id(admin.id)
    pages = [page_text(client, path) for path in (
        "/admin/user/", f"/admin/user/details/?id={admin.id}", f"/admin/user/edit/?id={admin.id}",
        "/admin/user/new/")]
    for html in pages:
        assert stored.password_hash not in html and stored.session_token not in html
        assert "password_hash" not in html and "session_token" not in html
        assert not re.search(r'name="new_password"[^>]*value="[^"]+"', html)
    # Searching a secret finds nobody: the search does not look at it.
    for secret in (stored.password_hash[:20], stored.session_token):
        html = page_text(client, f"/admin/user/?search={secret}")
        assert "admin@example.org" not in html.split("</thead>")[-1]
    # Neither the filters nor the columns of the list name a secret.
    assert "password" not in pages[0] and "session" not in pages[0].lower()


def test_setting_a_password_from_the_console_ends_the_users_sessions(app, client):
    console_login(client)
    other, _ = create_user("autre@example.org", "admin", password=STRONG)
    other_client = app.test_client()
    other_client.post("/admin/login", data={"email": other.email, "password": STRONG})
    assert other_client.get("/admin/").status_code == 200
    response = client.post(f"/admin/user/edit/?id={other.id}", data=user_form(
        other, new_password=OTHER_STRONG))
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    assert check_password(User.get_by_id(other.id).password_hash, OTHER_STRONG)
    assert "/admin/login" in other_client.get("/admin/").headers["Location"]


def test_a_deactivated_user_is_signed_out_at_the_next_request(app, client):
    console_login(client)
    other, _ = create_user("autre@example.org", "admin", password=STRONG)
    other_client = app.test_client()
    other_client.post("/admin/login", data={"email": other.email, "password": STRONG})
    assert other_client.get("/admin/centre/").status_code == 200
    response = client.post(f"/admin/user/edit/?id={other.id}", data=user_form(other, actif=None))
    assert response.status_code == 302
    assert not User.get_by_id(other.id).actif
    response = other_client.get("/admin/centre/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    # …and cannot sign in again.
    response = other_client.post("/admin/login", data={"email": other.email, "password": STRONG})
    assert response.status_code == 200 and other_client.get("/admin/").status_code == 302


@pytest.mark.parametrize("change, reason", [
    ({"actif": None}, "désactiver votre propre compte"),
    ({"role": "commission"}, "retirer votre propre rôle d'administrateur"),
    ({"lecture_seule": "y"}, "en lecture seule"),
])
def test_an_administrator_cannot_lock_themselves_out(app, client, change, reason):
    me = console_login(client)
    response = client.post(f"/admin/user/edit/?id={me.id}", data=user_form(me, **change))
    assert reason in flashes(response.get_data(as_text=True))
    saved = User.get_by_id(me.id)
    assert saved.actif and saved.role == "admin" and not saved.lecture_seule
    assert client.get("/admin/").status_code == 200


def test_an_administrator_cannot_delete_their_own_account(app, client):
    me = console_login(client)
    response = client.post("/admin/user/delete/", data={"id": me.id}, follow_redirects=True)
    assert "supprimer votre propre compte" in flashes(response.get_data(as_text=True))
    assert User.select().where(User.id == me.id).exists()


# --- CLI ------------------------------------------------------------------------------

def test_cli_set_password_generates_and_prints_one(runner):
    user, _ = create_user("a@example.org", "admin", password=STRONG)
    token = user.session_token
    result = runner.invoke(args=["users", "set-password", "--email", "A@example.org"])
    assert result.exit_code == 0, result.output
    printed = result.output.strip().rsplit(" : ", 1)[1]
    stored = User.get_by_id(user.id)
    assert check_password(stored.password_hash, printed) and stored.session_token != token


def test_cli_set_password_enforces_the_policy_on_a_given_one(runner):
    user, _ = create_user("a@example.org", "admin", password=STRONG)
    result = runner.invoke(args=["users", "set-password", "--email", "a@example.org",
                                 "--password", "azertyuiop12"])
    assert result.exit_code != 0 and "trop courant" in result.output
    assert check_password(User.get_by_id(user.id).password_hash, STRONG)
    result = runner.invoke(args=["users", "set-password", "--email", "a@example.org",
                                 "--password", OTHER_STRONG])
    assert result.exit_code == 0, result.output
    assert check_password(User.get_by_id(user.id).password_hash, OTHER_STRONG)
    result = runner.invoke(args=["users", "set-password", "--email", "nobody@example.org"])
    assert result.exit_code != 0 and "Aucun utilisateur" in result.output


def test_cli_users_create_enforces_the_policy(runner):
    Centre.create(code="DSS", libelle="UFR Droit")
    result = runner.invoke(args=["users", "create", "--email", "g@example.org", "--role",
                                 "gestionnaire", "--scope", "DSS", "--password", "short"])
    assert result.exit_code != 0 and "au moins 12 caractères" in result.output
    assert User.select().count() == 0


def test_a_validator_message_shows_next_to_its_field(app, client):
    """WTForms messages are lazy (translated when shown): Flask-Admin's field
    template only prints plain strings, so the console renders them first."""
    console_login(client)
    response = client.post("/admin/user/new/", data=user_form(
        email="pas-une-adresse", new_password=OTHER_STRONG))
    html = response.get_data(as_text=True)
    feedback = re.findall(r'<div class="invalid-feedback">(.*?)</div>', html, re.S)
    assert any("Cette adresse mail n'est pas valide." in f.replace("&#39;", "'")
               for f in feedback), feedback
    assert User.select().count() == 1

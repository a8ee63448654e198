"""`flask users create` and console access by role."""
import pytest

from ecandidat.models import Centre, CommissionMembre, GestionnaireCentre, User
from ecandidat.users import UserError, create_user


def test_create_admin_with_generated_password(runner):
    result = runner.invoke(args=["users", "create", "--email", "Root@Example.org", "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert User.get(User.email == "root@example.org").role == "admin"
    assert "mot de passe :" in result.output


def test_gestionnaire_needs_an_existing_centre(runner):
    result = runner.invoke(args=["users", "create", "--email", "g@example.org",
                                 "--role", "gestionnaire", "--scope", "NOPE"])
    assert result.exit_code != 0
    assert "centre existant" in result.output
    Centre.create(code="DSS", libelle="UFR Droit")
    create_user("g@example.org", "gestionnaire", scope="DSS", password="une phrase de passe solide")
    assert GestionnaireCentre.select().count() == 1


def test_duplicate_email_is_refused(app):
    create_user("a@example.org", "admin", password="une phrase de passe solide")
    with pytest.raises(UserError, match="existe déjà"):
        create_user("A@example.org", "admin")
    assert CommissionMembre.select().count() == 0


def test_console_views_refuse_other_roles(app, client):
    Centre.create(code="DSS", libelle="UFR Droit")
    create_user("g@example.org", "gestionnaire", scope="DSS", password="une phrase de passe solide")
    client.post("/admin/login",
                data={"email": "g@example.org", "password": "une phrase de passe solide"})
    response = client.get("/admin/user/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")


def test_wrong_password_is_refused_without_detail(app, client):
    create_user("a@example.org", "admin", password="une phrase de passe solide")
    response = client.post("/admin/login", data={"email": "a@example.org", "password": "mauvais"})
    assert response.status_code == 200
    assert "Adresse mail ou mot de passe incorrect." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_a_presiding_read_only_membre_of_two_commissions_from_the_command_line(runner):
    from ecandidat import permissions
    from factories import open_formation
    first, second = open_formation("M1AES"), open_formation("M2DM")
    codes = f"{first.commission.code},{second.commission.code}"
    result = runner.invoke(args=["users", "create", "--email", "p@example.org", "--role",
                                 "commission", "--scope", codes, "--president",
                                 "--lecture-seule"])
    assert result.exit_code == 0, result.output
    scope = permissions.scope_of(User.get(User.email == "p@example.org"))
    both = {first.commission_id, second.commission_id}
    assert (scope.commissions, scope.presidences, scope.read_only) == (both, both, True)
    result = runner.invoke(args=["users", "create", "--email", "q@example.org", "--role",
                                 "commission", "--scope", f"{first.commission.code},NOPE"])
    assert result.exit_code != 0 and "NOPE" in result.output
    assert not User.select().where(User.email == "q@example.org").exists()


def test_a_gestionnaire_limited_to_listed_commissions_sees_only_those(runner, client):
    """eCandidat's gestionnaire without "toutes les commissions": the listed ones
    only, chosen among their centre's (command line and console)."""
    from ecandidat import permissions
    from ecandidat.models import Candidature, Commission
    from factories import open_formation
    from test_console import console_login, flashes
    first, second = open_formation("M1AES"), open_formation("M2DM")
    ailleurs = open_formation("LLCE", centre=Centre.create(code="LET", libelle="UFR Lettres"))
    result = runner.invoke(args=["users", "create", "--email", "g@example.org", "--role",
                                 "gestionnaire", "--scope", "DSS", "--commissions",
                                 first.commission.code])
    assert result.exit_code == 0, result.output
    scope = permissions.scope_of(User.get(User.email == "g@example.org"))
    assert scope.commissions == {first.commission_id}
    assert not permissions.sees(scope, Candidature(formation=second))
    result = runner.invoke(args=["users", "create", "--email", "h@example.org", "--role",
                                 "gestionnaire", "--scope", "DSS", "--commissions",
                                 ailleurs.commission.code])
    assert result.exit_code != 0 and "de son centre" in result.output
    # Without a list: every commission of the centre.
    create_user("tous@example.org", "gestionnaire", scope="DSS", password="une phrase de passe solide")
    assert permissions.scope_of(User.get(User.email == "tous@example.org")).commissions == {
        first.commission_id, second.commission_id}
    # The console refuses a commission of another centre next to the field.
    console_login(client)
    user = User.get(User.email == "g@example.org")
    response = client.post(f"/admin/user/edit/?id={user.id}", data={
        "email": user.email, "nom": user.nom, "prenom": "G", "role": "gestionnaire",
        "actif": "y", "scope_centre": str(Centre.get(Centre.code == "DSS").id),
        "scope_commissions": [str(ailleurs.commission_id)]})
    assert "de son centre" in flashes(response.get_data(as_text=True))
    assert permissions.scope_of(User.get_by_id(user.id)).commissions == {first.commission_id}
    assert Commission.select().count() == 3


def test_deleting_the_listed_commission_never_widens_a_limited_gestionnaire(app):
    from ecandidat import permissions
    from ecandidat.models import Commission
    from factories import open_formation
    first = open_formation("M1AES")
    vide = Commission.create(code="VIDE", libelle="Vide", centre=first.commission.centre)
    create_user("g@example.org", "gestionnaire", scope="DSS", commissions="VIDE",
                password="une phrase de passe solide")
    user = User.get(User.email == "g@example.org")
    assert permissions.scope_of(user).commissions == {vide.id}
    vide.delete_instance(recursive=True)
    assert permissions.scope_of(user).commissions == frozenset()

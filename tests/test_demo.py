"""`flask demo` builds the guide's offer, open today, and can run twice."""
from ecandidat import clock
from ecandidat.demo import create_demo
from ecandidat.models import (Campagne, Centre, Commission, Formation, PieceJustificative,
                              Question, User)
from ecandidat.security import check_password


def test_demo_creates_the_guide_offer_open_today(app):
    report = create_demo()
    today = clock.today()
    assert Campagne.active() is not None
    assert {c.libelle for c in Centre.select()} >= {
        "UFR Droit et Sciences Sociales Poitiers Campus", "UFR Médecine-Pharmacie",
        "UFR Sciences Humaines et Arts"}
    aes = Formation.get(Formation.libelle == "M1 Administration Economique et Sociale")
    assert aes.mots_cles == "AES" and aes.type_diplome.libelle == "MASTER"
    assert aes.commission.centre.code == "DSS"
    ortho = Formation.get(Formation.code == "ORTHO")
    assert ortho.type_diplome.libelle == "Non diplômant" and not ortho.demat
    assert Formation.select().where(Formation.commission.in_(
        Commission.select().join(Centre).where(Centre.code == "SHA"))).count() >= 2
    assert all(f.is_open(today) and f.date_errors() == {} for f in Formation.select())
    assert report.formations == Formation.select().count()
    handicap = PieceJustificative.get(
        PieceJustificative.libelle == "Demande d'aménagement au titre du handicap")
    assert handicap.conditionnelle
    autres = PieceJustificative.select().where(
        PieceJustificative.libelle.startswith("Autre document jugé utile par le candidat"))
    assert len(autres) == 3 and all(p.conditionnelle and not p.partagee for p in autres)
    assert all(c.adresse and c.adresse.adresse1 for c in Commission.select())
    roles = {role: (email, password) for email, role, password in report.accounts}
    assert set(roles) == {"admin", "gestionnaire", "commission"}
    for email, password in roles.values():
        assert len(password) >= 12
        assert check_password(User.get(User.email == email).password_hash, password)


def test_demo_is_idempotent(app):
    create_demo()
    counts = [m.select().count() for m in (Campagne, Centre, Commission, Formation,
                                           PieceJustificative, Question, User)]
    second = create_demo()
    assert [m.select().count() for m in (Campagne, Centre, Commission, Formation,
                                         PieceJustificative, Question, User)] == counts
    assert all(password is None for _, _, password in second.accounts)


def test_demo_command_prints_the_generated_passwords(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "admin@example.org / mot de passe : " in result.output
    again = runner.invoke(args=["demo"])
    assert "mot de passe inchangé" in again.output


def test_demo_tells_how_to_reset_a_lost_password(runner):
    first = runner.invoke(args=["demo"])
    assert "set-password" not in first.output
    again = runner.invoke(args=["demo"])
    assert "flask --app app users set-password --email ADRESSE" in again.output
    email = "admin@example.org"
    reset = runner.invoke(args=["users", "set-password", "--email", email])
    assert reset.exit_code == 0 and f"Mot de passe de {email} : " in reset.output


def test_demo_accounts_open_the_console(app, client):
    report = create_demo()
    email, _, password = next(a for a in report.accounts if a[1] == "admin")
    response = client.post("/admin/login", data={"email": email, "password": password})
    assert response.status_code == 302
    page = client.get("/admin/").get_data(as_text=True)
    assert "Administrateur" in page
    assert client.get("/admin/formation/").status_code == 200

"""The factory, its configuration, and the two entry points."""
from app import create_app
from ecandidat.config import load_config


def test_config_comes_from_environment(tmp_path):
    config = load_config(str(tmp_path), str(tmp_path), environ={
        "DATABASE_URL": "postgresql://u@h/db", "MAX_UPLOAD_MB": "3",
        "MAIL_PORT": "2525", "MAIL_USE_TLS": "true", "BASE_URL": "https://ecandidat.example",
        "SECRET_KEY": "s3cret"})
    assert config["DATABASE_URL"] == "postgresql://u@h/db"
    assert config["MAX_UPLOAD_MB"] == 3
    assert config["MAX_CONTENT_LENGTH"] == 4 * 1024 * 1024
    assert config["MAIL_PORT"] == 2525 and config["MAIL_USE_TLS"] is True
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SECRET_KEY"] == "s3cret"


def test_defaults_use_sqlite_in_instance_and_a_kept_random_secret(tmp_path):
    first = load_config(str(tmp_path), str(tmp_path), environ={})
    second = load_config(str(tmp_path), str(tmp_path), environ={})
    assert first["DATABASE_URL"] == "sqlite:///" + str(tmp_path / "ecandidat.sqlite3")
    assert first["MAX_UPLOAD_MB"] == 10 and first["MAIL_SERVER"] is None
    assert len(first["SECRET_KEY"]) == 64 and first["SECRET_KEY"] == second["SECRET_KEY"]


def test_test_config_overrides(app):
    assert app.testing
    assert create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"]}).testing


def test_home_shows_the_guide_menu(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for label in ("Accueil", "Assistance"):
        assert label in page
    assert '<html lang="fr">' in page
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_console_asks_anonymous_visitors_to_log_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]
    login_page = client.get("/admin/login")
    assert login_page.status_code == 200
    assert "Connexion à la console" in login_page.get_data(as_text=True)


def test_console_speaks_french(app, client):
    """Flask-Admin's own labels come through Flask-Babel in French."""
    from ecandidat.users import create_user
    user, password = create_user("admin@example.org", "admin")
    client.post("/admin/login", data={"email": user.email, "password": password})
    page = client.get("/admin/formation/").get_data(as_text=True)
    for label in ("Liste", "Créer", "Ajouter un filtre", "Formations"):
        assert label in page, label
    assert "Add Filter" not in page


def test_an_unknown_rank_display_refuses_to_start(tmp_path):
    import pytest
    for value in ("aucun", "saisi", "reel"):
        assert load_config(str(tmp_path), str(tmp_path),
                           {"LC_RANG_AFFICHAGE": value})["LC_RANG_AFFICHAGE"] == value
    with pytest.raises(ValueError, match="LC_RANG_AFFICHAGE"):
        load_config(str(tmp_path), str(tmp_path), {"LC_RANG_AFFICHAGE": "S"})

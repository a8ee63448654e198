"""The home page and the console, in a real browser."""
from ecandidat.demo import create_demo


def test_home_menu_and_console_login(page):
    report = create_demo()
    page.goto("/")
    menu = page.get_by_role("navigation", name="Menu principal")
    for label in ("Accueil", "Assistance", "Offre de formation", "Connexion"):
        assert menu.get_by_role("link", name=label).is_visible()
    email, _, password = next(a for a in report.accounts if a[1] == "admin")
    page.goto("/admin/")
    page.get_by_label("Adresse mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_text("Administrateur").first.wait_for()

"""Route sweep: every URL of the application is either declared public here or refuses
visitors who are not allowed to see it. A new route that forgets its check fails here."""
import pytest

from conftest import sign_in
from ecandidat.users import create_user
from factories import open_formation

# Reachable without signing in. Everything else must send the visitor to a login page.
PUBLIC_ENDPOINTS = {
    "static", "main.index", "main.assistance",
    "auth.login", "auth.register", "auth.validate", "auth.forgot", "auth.lost_activation",
    "auth.reset", "auth.logout",
    "catalog.offre", "catalog.formation",
    "api.communes", "api.departements", "api.bac_series", "api.bac_mentions", "api.bac_specialites",
    "api.etablissements",
    "admin.login", "admin.static",
    # Single sign-on: the way to the institution's login page and back (404 unless set up).
    "sso.candidate_start", "sso.candidate_callback", "admin.sso_login", "admin.sso_callback",
    "language.switch",  # the language switch: a visitor's choice, kept in the session
    # The calendar feed: no session, its secret token only (bad tokens: tests/test_calendar.py).
    "donnees.feed",
}
SAMPLE_VALUES = {"int": 999_999, "default": "x", "path": "x.txt"}


def all_rules(app):
    return [rule for rule in app.url_map.iter_rules()]


def url_for_rule(rule):
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name].__class__.__name__.lower()
        values[name] = SAMPLE_VALUES["int"] if "integer" in converter else (
            SAMPLE_VALUES["path"] if "path" in converter else SAMPLE_VALUES["default"])
    return rule.build(values, append_unknown=False)[1]


def request(client, rule):
    method = "GET" if "GET" in rule.methods else "POST"
    return client.open(url_for_rule(rule), method=method)


def test_public_endpoints_all_exist(app):
    endpoints = {rule.endpoint for rule in all_rules(app)}
    assert PUBLIC_ENDPOINTS - endpoints == set()


def test_every_private_url_sends_anonymous_visitors_to_a_login_page(app, client):
    checked = []
    for rule in all_rules(app):
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        response = request(client, rule)
        location = response.headers.get("Location", "")
        login = "/admin/login" if rule.endpoint.startswith("admin") or \
            rule.rule.startswith("/admin") else "/connexion"
        assert response.status_code == 302 and login in location, \
            f"{rule.rule} ({rule.endpoint}) answered {response.status_code} {location}"
        checked.append(rule.endpoint)
    assert len(checked) > 30  # the sweep really walked the candidate pages and the console


@pytest.fixture
def formation(app):
    return open_formation()


@pytest.mark.parametrize("role", ["gestionnaire", "commission"])
def test_console_screens_reserved_to_administrators_refuse_other_roles(app, client, formation,
                                                                        role):
    scope = formation.commission.centre.code if role == "gestionnaire" \
        else formation.commission.code
    user, password = create_user(f"{role}@example.org", role, scope=scope)
    response = client.post("/admin/login", data={"email": user.email, "password": password})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    # The set-up in scope (formations, commissions…) is tested in test_console_setup.
    for path in ("/admin/user/", "/admin/campagne/", "/admin/mailtemplate/", "/admin/user/new/",
                 "/admin/typedecision/", "/admin/motivationavis/",
                 "/admin/statutscommission/", "/admin/campagne/new/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].endswith("/admin/"), path
    page = client.get("/admin/").get_data(as_text=True)
    assert "Vous n&#39;avez pas accès à cet écran." in page or \
        "Vous n'avez pas accès à cet écran." in page


def test_a_signed_in_candidate_is_not_a_console_user(app, client, make_compte):
    compte, _ = make_compte()
    sign_in(client, compte)
    for path in ("/admin/", "/admin/user/", "/admin/formation/"):
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_a_console_user_is_not_a_candidate(app, client):
    user, password = create_user("admin@example.org", "admin")
    client.post("/admin/login", data={"email": user.email, "password": password})
    for path in ("/mon-compte/", "/candidatures/"):
        response = client.get(path)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]

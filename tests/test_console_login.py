"""Console login: rate-limited per address and per account like the candidate
login (failures only), and the same work whether the address exists or not."""
import pytest

from ecandidat.users import create_user
from test_console import STRONG
from views.limits import LOGIN_PER_ACCOUNT, LOGIN_PER_ADDRESS, limiter

PER_ACCOUNT = int(LOGIN_PER_ACCOUNT.split()[0])
PER_ADDRESS = int(LOGIN_PER_ADDRESS.split()[0])


@pytest.fixture
def limits_on(app):
    app.config["RATELIMIT_ENABLED"] = True
    limiter.init_app(app)
    limiter.reset()
    yield
    limiter.reset()


def login(client, email, password, address="10.0.0.1"):
    return client.post("/admin/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_the_eleventh_failure_on_one_account_is_refused(app, limits_on):
    user, _ = create_user("a@example.org", "admin", password=STRONG)
    # Successes do not count: sign in and out more often than the limit allows failures.
    for _ in range(PER_ACCOUNT + 2):
        client = app.test_client()
        assert login(client, user.email, STRONG).status_code == 302
    codes = [login(app.test_client(), user.email, "mauvais", address=f"10.0.1.{n}").status_code
             for n in range(PER_ACCOUNT + 1)]
    assert codes == [200] * PER_ACCOUNT + [429]
    refused = login(app.test_client(), "A@Example.org", STRONG, address="10.0.2.1")
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert 'lang="fr"' in page and "Trop de" in page
    # Another account is not affected.
    create_user("b@example.org", "admin", password=STRONG)
    assert login(app.test_client(), "b@example.org", STRONG, address="10.0.2.2").status_code == 302


def test_one_address_is_limited_whatever_the_account(app, limits_on):
    client = app.test_client()
    codes = [login(client, f"n{n}@example.org", "mauvais").status_code
             for n in range(PER_ADDRESS + 1)]
    assert codes[-1] == 429 and codes[:-1] == [200] * PER_ADDRESS


def test_unknown_and_inactive_addresses_cost_a_password_check(app, client, monkeypatch):
    from views.admin import index
    checked = []

    def spy(password_hash, password):
        checked.append(password_hash)
        return False
    monkeypatch.setattr(index, "check_password", spy)
    login(client, "nobody@example.org", "mauvais")
    user, _ = create_user("a@example.org", "admin", password=STRONG)
    user.actif = False
    user.save()
    login(client, "a@example.org", STRONG)
    assert checked == [None, user.password_hash]


def test_an_inactive_user_cannot_sign_in(app, client):
    user, _ = create_user("a@example.org", "admin", password=STRONG)
    user.actif = False
    user.save()
    response = login(client, user.email, STRONG)
    assert response.status_code == 200
    assert "Adresse mail ou mot de passe incorrect." in response.get_data(as_text=True)

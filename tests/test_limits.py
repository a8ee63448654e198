"""Rate limits that hold: bounded limiter keys, failures only, the same work for
an unknown address, the real client behind a proxy, a count shared through Redis."""
import html
import os
import re
import subprocess
import sys
import textwrap
import uuid

import pytest

from app import create_app
from conftest import reachable_redis
from ecandidat import security
from views.limits import LOGIN_PER_ACCOUNT, MAIL_REQUESTS, limiter

PER_ACCOUNT = int(LOGIN_PER_ACCOUNT.split()[0])
MAIL_PER_MINUTE = int(MAIL_REQUESTS.split()[0])


def text(response):
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


@pytest.fixture
def limited(app):
    """The test app with its rate limits on, counted from zero."""
    app.config["RATELIMIT_ENABLED"] = True
    limiter.init_app(app)
    limiter.reset()
    yield app
    limiter.reset()


def test_a_huge_identifier_is_refused_and_costs_the_limiter_a_bounded_key(limited):
    response = limited.test_client().post("/connexion", data={
        "identifier": "a" * 5_000_000, "password": "peu importe"})
    assert response.status_code == 200
    assert "L'identifiant ne doit pas dépasser 254 caractères." in text(response)
    assert len(response.get_data()) < 50_000  # the 5 MB are not echoed back
    keys = list(limiter.storage.storage)
    assert keys and max(len(key) for key in keys) < 200, keys


def test_the_identifier_is_capped_at_254_characters(client, make_compte):
    compte, password = make_compte(email="x" * 240 + "@example.org")
    assert len(compte.email) == 252
    assert client.post("/connexion", data={"identifier": compte.email,
                                           "password": password}).status_code == 302
    response = client.application.test_client().post("/connexion", data={"identifier": "y" * 255, "password": "p"})
    assert "L'identifiant ne doit pas dépasser 254 caractères." in text(response)


def test_successful_logins_do_not_count_toward_the_account_limit(limited, make_compte):
    compte, password = make_compte()
    for _ in range(PER_ACCOUNT + 1):
        response = limited.test_client().post("/connexion", data={
            "identifier": compte.email, "password": password})
        assert response.status_code == 302
    # Had they counted, the account would be blocked by now (failures do count:
    # see test_accounts.test_login_is_rate_limited).
    assert limited.test_client().post("/connexion", data={
        "identifier": compte.email, "password": "faux"}).status_code == 200


@pytest.fixture
def verifications(monkeypatch):
    """Counts the argon2 verifications (the costly, timing-visible part of a login)."""
    calls = []
    hasher = security._hasher

    class Counting:
        hash = staticmethod(hasher.hash)

        def verify(self, password_hash, password):
            calls.append(password_hash)
            return hasher.verify(password_hash, password)

    monkeypatch.setattr(security, "_hasher", Counting())
    return calls


def test_no_spelling_of_an_identifier_escapes_the_account_limit(limited, make_compte):
    """The e-mail and the n° dossier, in either case, count on the same account; the
    look-alikes that upper-case to a n° dossier ("ſ" and "ı" become S and I) name no
    account, so they never sign in."""
    from ecandidat.models import CompteCandidat
    compte, password = make_compte()
    CompteCandidat.update(numero_dossier="AB12CDSI").where(
        CompteCandidat.id == compte.id).execute()
    spellings = [compte.email, compte.email.upper(), "AB12CDSI", "ab12cdsi"]
    answers = []
    for number, identifier in enumerate(spellings * 3):
        response = limited.test_client().post(
            "/connexion", data={"identifier": identifier, "password": "mauvais mot de passe"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{number}"})
        answers.append(response.status_code)
    assert answers.count(429) == len(answers) - PER_ACCOUNT
    limiter.reset()
    for look_alike in ("ab12cd\u017fi", "ab12cds\u0131"):
        response = limited.test_client().post(
            "/connexion", data={"identifier": look_alike, "password": password})
        assert response.status_code == 200 and "incorrect" in text(response)


def test_an_unknown_address_costs_one_verification_like_a_wrong_password(
        client, make_compte, verifications):
    compte, _ = make_compte()
    unknown = client.post("/connexion", data={"identifier": "personne@example.org",
                                              "password": "un mot de passe"})
    wrong = client.post("/connexion", data={"identifier": compte.email,
                                            "password": "un mot de passe"})
    assert text(unknown).count("Identifiant ou mot de passe incorrect.") == 1
    assert text(wrong).count("Identifiant ou mot de passe incorrect.") == 1
    assert len(verifications) == 2
    assert verifications[0] != compte.password_hash  # the dummy hash
    assert verifications[1] == compte.password_hash


@pytest.fixture
def app_with(app, database_url, tmp_path):
    """Another app over the test database, with some settings of its own (create_app
    reads PROXY_COUNT, the limiter its storage); its limits start from zero."""
    def factory(**settings):
        return create_app({"TESTING": True, "DATABASE_URL": database_url,
                           "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False,
                           "UPLOAD_FOLDER": str(tmp_path / "uploads"), "MAIL_SERVER": None,
                           "RATELIMIT_ENABLED": True, **settings})
    return factory


def mail_requests(app, forwarded_for):
    client = app.test_client()
    return [client.post("/compte/identifiants-oublies",
                        data={"email": "a@example.org"},
                        headers={"X-Forwarded-For": forwarded_for}).status_code
            for _ in range(MAIL_PER_MINUTE + 1)]


def test_behind_one_proxy_each_client_has_its_own_limit(app_with):
    proxied = app_with(PROXY_COUNT=1)
    assert mail_requests(proxied, "203.0.113.1")[-1] == 429
    assert 429 not in mail_requests(proxied, "203.0.113.2")[:-1]


def test_without_proxy_setting_the_forwarded_header_is_ignored(app_with):
    direct = app_with()
    assert direct.config["PROXY_COUNT"] == 0
    assert mail_requests(direct, "203.0.113.1")[-1] == 429
    # Another forged address changes nothing: the peer is still the same client.
    assert mail_requests(direct, "203.0.113.2")[0] == 429


REDIS_URL = "redis://127.0.0.1:6379"


@pytest.fixture
def redis_storage():
    client = reachable_redis(REDIS_URL, "test du stockage partagé")
    prefix = f"ecandidat-test-{uuid.uuid4().hex}"
    yield prefix
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
    client.close()


FAILED_LOGINS = textwrap.dedent("""
    import sys
    from app import create_app
    app = create_app({"TESTING": True, "DATABASE_URL": sys.argv[1], "SECRET_KEY": "s",
                      "WTF_CSRF_ENABLED": False, "MAIL_SERVER": None,
                      "RATELIMIT_STORAGE_URI": sys.argv[2], "RATELIMIT_KEY_PREFIX": sys.argv[3]})
    client = app.test_client()
    for _ in range(int(sys.argv[5])):
        assert client.post("/connexion", data={"identifier": sys.argv[4],
                                                "password": "faux"}).status_code == 200
""")


def test_two_processes_share_the_count_through_redis(app_with, database_url, redis_storage):
    """Another process (a second gunicorn worker) spends all the failures of one
    account; this one then finds the account blocked."""
    identifier = f"{redis_storage}@example.org"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run([sys.executable, "-c", FAILED_LOGINS, database_url, REDIS_URL,
                    redis_storage, identifier, str(PER_ACCOUNT)],
                   cwd=root, check=True, timeout=120)
    here = app_with(RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=redis_storage)
    response = here.test_client().post("/connexion", data={"identifier": identifier,
                                                           "password": "faux"})
    assert response.status_code == 429
    assert "Trop de tentatives" in text(response)
    # The same request against an in-memory count (one per process) would pass.
    alone = app_with(RATELIMIT_STORAGE_URI="memory://", RATELIMIT_KEY_PREFIX=redis_storage)
    assert alone.test_client().post("/connexion", data={
        "identifier": identifier, "password": "faux"}).status_code == 200

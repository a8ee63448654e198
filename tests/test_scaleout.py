"""Scale-out: two app servers (two gunicorn processes of two workers each, on two
ports) over one database, one Redis and one upload folder behave as one site for a
client sent to either: the session opened on one is valid on the other, the rate
limits are counted once, a file uploaded through one is downloaded through the other.

Runs on PostgreSQL and on SQLite (two processes on one WAL file: the same case as the
workers of one gunicorn on one host; several hosts need PostgreSQL). Needs Redis on
127.0.0.1:6379: skipped with a notice without it, failed when REQUIRE_REDIS=1 (CI)."""
import html
import http.client
import http.cookies
import io
import os
import random
import re
import json
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.parse
import uuid

import pytest
from PIL import Image

from conftest import free_port, link_in, outbox, reachable_redis
from ecandidat.config import ENV_NAMES
from ecandidat.models import Candidature, PieceCandidat
from ecandidat.users import create_user
from factories import complete_candidat, open_formation, pieces
from views.limits import LOGIN_PER_ACCOUNT

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
REDIS_URL = "redis://127.0.0.1:6379/11"  # a database of its own; keys also prefixed per run
PER_ACCOUNT = int(LOGIN_PER_ACCOUNT.split()[0])
STARTUP_SECONDS = 90
PASSWORD = "une phrase de passe assez longue"


# --- A client that carries its cookies from one server to the other ----------------------

class Browser:
    """One visitor behind a load balancer: each request goes to the server it names,
    with the cookies the previous answers set, whichever server set them. Redirects
    are not followed, so that a redirect to the login page shows."""

    def __init__(self):
        self.cookies = {}

    def request(self, method, url, fields=None, files=None):
        parts = urllib.parse.urlsplit(url)
        headers = {}
        body = None
        if files:
            body, headers["Content-Type"] = multipart(fields or {}, files)
        elif fields is not None:
            body = urllib.parse.urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.body = response.read()
        finally:
            connection.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        response.text = html.unescape(re.sub(r"\s+", " ",
                                             response.body.decode("utf-8", "replace")))
        return response

    def get(self, url):
        return self.request("GET", url)

    def post(self, url, fields, files=None):
        return self.request("POST", url, fields, files)


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    chunks = []
    for name, value in fields.items():
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
                      f"\r\n\r\n{value}\r\n".encode())
    for name, (filename, data, mime) in files.items():
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                      f'filename="{filename}"\r\nContent-Type: {mime}\r\n\r\n'.encode())
        chunks.append(data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def csrf_token(page_text):
    match = (re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page_text)
             or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page_text))
    assert match, "no csrf_token in the page"
    return match.group(1)


def located(response):
    return urllib.parse.urlsplit(response.getheader("Location") or "").path


# --- Redis and the two servers ---------------------------------------------------------------

class RedisCounts:
    """The rate-limit counts of this run on the shared Redis, under a prefix of their own."""

    def __init__(self, client):
        self.client = client
        self.prefix = f"ecandidat-scaleout-{uuid.uuid4().hex}"

    def reset(self):
        """Every count from zero (account ids start again at 1 in each test's database)."""
        for key in self.client.scan_iter(match=f"*{self.prefix}*"):
            self.client.delete(key)


@pytest.fixture(scope="module")
def redis_counts():
    """The shared Redis, its keys of this run removed afterwards."""
    client = reachable_redis(REDIS_URL, "test de deux serveurs")
    counts = RedisCounts(client)
    yield counts
    counts.reset()
    client.close()


class Server:
    """One gunicorn (2 sync workers) in a process group of its own, its stderr in a file."""

    def __init__(self, name, port, environment, log_folder):
        self.name, self.port = name, port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = os.path.join(log_folder, f"gunicorn-{name}.log")
        self.log = open(self.log_path, "w+b")
        # --preload: the app is imported once, then the workers fork (about 3 s saved per
        # worker); the workers still open their own connections (one per request).
        self.process = subprocess.Popen(
            [GUNICORN, "--workers", "2", "--worker-class", "sync", "--preload",
             "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "3", "--timeout", "120",
             "--log-level", "warning", "app:create_app()"],
            cwd=ROOT, env=environment, stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT, preexec_fn=new_group_dying_with_parent)

    def stderr(self, since=0):
        self.log.flush()
        with open(self.log_path, "rb") as handle:
            handle.seek(since)
            return handle.read().decode("utf-8", "replace")

    def log_size(self):
        return os.path.getsize(self.log_path)

    def wait_ready(self, deadline):
        """Poll the port until a page answers: gunicorn listens before its workers have
        loaded the app, so an open port alone proves nothing."""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn {self.name} s'est arrêté (code {self.process.returncode})"
                            f" :\n{self.stderr()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/connexion")
                status = connection.getresponse().status
                connection.close()
            except OSError:  # not listening yet, or no worker has accepted yet
                time.sleep(0.1)
                continue
            if status != 200:
                pytest.fail(f"gunicorn {self.name} répond {status} à GET /connexion :\n"
                            f"{self.stderr()}")
            return
        pytest.fail(f"gunicorn {self.name} ne répond pas après {STARTUP_SECONDS} s :\n"
                    f"{self.stderr()}")

    def terminate(self):
        """SIGTERM to the whole group: the master and its workers stop at once."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def wait_stopped(self):
        """SIGKILL to the group if it lingers (a worker stuck in a request)."""
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(10)
        self.log.close()


def new_group_dying_with_parent():
    """In the child before gunicorn starts: a process group of its own (so that the
    workers are stopped with the master), and a SIGTERM if pytest itself is killed."""
    os.setsid()
    if sys.platform.startswith("linux"):
        import ctypes
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def server_environment(database_url, upload_folder, redis_prefix, base_url):
    """The environment of both servers: only what deployment gives (no test settings);
    nothing of the caller's own configuration leaks in."""
    environment = {name: value for name, value in os.environ.items()
                   if name not in ENV_NAMES
                   and not name.startswith(("GUNICORN", "RATELIMIT", "FLASK"))}
    environment.update(
        DATABASE_URL=database_url, SECRET_KEY=uuid.uuid4().hex, UPLOAD_FOLDER=upload_folder,
        RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=redis_prefix, BASE_URL=base_url,
        PYTHONUNBUFFERED="1")
    return environment


@pytest.fixture(scope="module")
def servers(database_url, redis_counts, tmp_path_factory):
    """Servers A and B, started together, stopped whatever happens."""
    upload_folder = str(tmp_path_factory.mktemp("shared-uploads"))
    log_folder = str(tmp_path_factory.mktemp("gunicorn-logs"))
    port_a, port_b = free_port(), free_port()
    while port_b == port_a:
        port_b = free_port()
    environment = server_environment(database_url, upload_folder, redis_counts.prefix,
                                     f"http://127.0.0.1:{port_a}")
    started = []
    try:
        for name, port in (("A", port_a), ("B", port_b)):
            started.append(Server(name, port, environment, log_folder))
        deadline = time.monotonic() + STARTUP_SECONDS
        for server in started:
            server.wait_ready(deadline)
        a, b = started
        a.upload_folder = b.upload_folder = upload_folder
        yield a, b
    finally:
        for server in started:
            server.terminate()
        for server in started:
            server.wait_stopped()


@pytest.fixture
def a_b(servers, redis_counts, app):
    """The two servers for one test, over the test's emptied database and rate-limit
    counts from zero; what they wrote on stderr during the test is printed after it
    (pytest shows it when the test fails)."""
    redis_counts.reset()
    marks = [server.log_size() for server in servers]
    yield servers
    for server, mark in zip(servers, marks):
        output = server.stderr(mark)
        if output.strip():
            print(f"--- gunicorn {server.name} ({server.url}) stderr ---\n{output}")


def sign_in(browser, server, identifier, password=PASSWORD):
    """The candidate login through its form, the CSRF token taken from the page."""
    page = browser.get(f"{server.url}/connexion")
    assert page.status == 200
    return browser.post(f"{server.url}/connexion", {
        "csrf_token": csrf_token(page.text), "identifier": identifier, "password": password})


# --- The tests -------------------------------------------------------------------------------

def test_an_account_created_on_a_signs_in_on_a_and_is_signed_in_on_b(a_b):
    a, b = a_b
    visitor = Browser()
    email = "lea.scaleout@example.org"
    form = visitor.get(f"{a.url}/compte/creer")
    created = visitor.post(f"{a.url}/compte/creer", {
        "csrf_token": csrf_token(form.text), "nom": "Durand", "prenom": "Léa",
        "email": email, "email_confirm": email,
        "password": PASSWORD, "password_confirm": PASSWORD})
    assert created.status == 200 and email in created.text, created.text[:2000]

    # The validation link of the mail, followed on the other server.
    link = urllib.parse.urlsplit(link_in(outbox("CPT_MIN_CREATE")[0].corps_texte,
                                         "/compte/valider/"))
    validated = visitor.get(b.url + link.path)
    assert validated.status == 302 and located(validated) == "/connexion"

    signed_in = sign_in(visitor, a, email)
    assert signed_in.status == 302, signed_in.text[:2000]
    on_b = visitor.get(f"{b.url}/mon-compte/")
    assert on_b.status == 200 and "<h1>Mon compte</h1>" in on_b.text
    # Without the cookie from A, B sees an anonymous visitor.
    assert Browser().get(f"{b.url}/mon-compte/").status == 302

    # Déconnexion on B ends the session everywhere: the cookie A issued is worthless on A.
    cookie_from_a = dict(visitor.cookies)
    page = visitor.get(f"{b.url}/mon-compte/")
    assert visitor.post(f"{b.url}/deconnexion",
                        {"csrf_token": csrf_token(page.text)}).status == 302
    replayed = Browser()
    replayed.cookies = cookie_from_a
    assert replayed.get(f"{a.url}/mon-compte/").status == 302


def test_failed_logins_on_a_and_b_count_together(a_b, redis_counts, make_compte):
    """Half the failures go to each server: each saw fewer than the limit, so a count
    per process would let the next attempt through; the shared count refuses it."""
    a, b = a_b
    compte, _ = make_compte(email="limite.scaleout@example.org", password=PASSWORD)
    attacker = Browser()
    for attempt in range(PER_ACCOUNT):
        server = (a, b)[attempt % 2]
        refused = sign_in(attacker, server, compte.email, "pas le bon mot de passe")
        assert refused.status == 200, (server.name, attempt, refused.status)
        assert "Identifiant ou mot de passe incorrect." in refused.text
    for server in (a, b):
        blocked = sign_in(attacker, server, compte.email, "pas le bon mot de passe")
        assert blocked.status == 429, (server.name, blocked.status)
        assert "Trop de tentatives" in blocked.text
    # Blocked whatever the server, even with the right password.
    assert sign_in(Browser(), b, compte.email).status == 429
    assert any(f"login:c:{compte.id}" in key.decode()
               for key in redis_counts.client.scan_iter(match=f"*{redis_counts.prefix}*"))


def unique_png():
    """A PNG no other test uploads: the bytes downloaded can only be these."""
    buffer = io.BytesIO()
    Image.new("RGB", (37, 23), tuple(random.randrange(256) for _ in range(3))).save(
        buffer, "PNG")
    return buffer.getvalue()


def test_a_piece_uploaded_through_a_is_downloaded_byte_for_byte_through_b(a_b, make_compte):
    a, b = a_b
    formation = open_formation()
    lettre = pieces(formation)["lettre"]
    compte, _ = make_compte(email="piece.scaleout@example.org", password=PASSWORD)
    complete_candidat(compte)
    candidate = Browser()
    assert sign_in(candidate, a, compte.email).status == 302

    # Candidater from the offer page as served by B, the form sent to A.
    offer_page = candidate.get(f"{b.url}/offre-de-formation/{formation.id}")
    assert offer_page.status == 200, offer_page.status
    applied = candidate.post(f"{a.url}/candidatures/candidater/{formation.id}",
                             {"csrf_token": csrf_token(offer_page.text)})
    candidature = Candidature.get(Candidature.formation == formation)
    assert applied.status == 302 and located(applied) == f"/candidatures/{candidature.id}"

    data = unique_png()
    detail = candidate.get(f"{a.url}/candidatures/{candidature.id}")
    uploaded = candidate.post(
        f"{a.url}/candidatures/{candidature.id}/pieces/{lettre.id}/deposer",
        {"csrf_token": csrf_token(detail.text)},
        files={"fichier": ("lettre de motivation.png", data, "image/png")})
    assert uploaded.status == 302, uploaded.text[:2000]
    row = PieceCandidat.get(PieceCandidat.candidature == candidature,
                            PieceCandidat.piece == lettre)
    assert row.fichier in os.listdir(a.upload_folder)

    downloaded = candidate.get(f"{b.url}/candidatures/{candidature.id}/pieces/{lettre.id}/fichier")
    assert downloaded.status == 200
    assert downloaded.body == data
    assert "lettre de motivation.png" in downloaded.getheader("Content-Disposition")


def test_a_console_user_signed_in_on_a_is_signed_in_on_b(a_b):
    a, b = a_b
    user, password = create_user("scol.scaleout@example.org", "admin", password=PASSWORD,
                                 nom="MARTIN", prenom="Sacha")
    manager = Browser()
    assert manager.get(f"{b.url}/admin/").status == 302  # anonymous: the login page
    page = manager.get(f"{a.url}/admin/login")
    signed_in = manager.post(f"{a.url}/admin/login", {
        "csrf_token": csrf_token(page.text), "email": user.email, "password": password})
    assert signed_in.status == 302, signed_in.text[:2000]
    home = manager.get(f"{b.url}/admin/")
    assert home.status == 200
    assert "Bienvenue Sacha MARTIN" in home.text
    assert "Vous êtes connecté en tant que : Administrateur." in home.text


# --- Redis down ------------------------------------------------------------------------------

LOGINS_WITHOUT_REDIS = textwrap.dedent("""
    import json, sys
    from app import create_app
    database_url, storage, identifier, failures, other, password = sys.argv[1:]
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "s",
                      "WTF_CSRF_ENABLED": False, "MAIL_SERVER": None,
                      "RATELIMIT_STORAGE_URI": storage})
    codes = [app.test_client().post("/connexion", data={"identifier": identifier,
                                                        "password": "faux"}).status_code
             for _ in range(int(failures) + 1)]
    right = app.test_client().post("/connexion", data={"identifier": other,
                                                       "password": password}).status_code
    print(json.dumps({"codes": codes, "right": right}))
""")


@pytest.fixture(params=["refused", "silent"])
def dead_redis(request):
    """A Redis URL nobody answers on: a closed port, or a port that accepts connections
    and never replies (a hung or firewalled Redis)."""
    if request.param == "refused":
        yield f"redis://127.0.0.1:{free_port()}"
        return
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)  # the kernel completes the connections; nobody ever reads them
        yield f"redis://127.0.0.1:{silent.getsockname()[1]}"


def test_with_redis_down_logins_work_and_are_limited_per_process(app, database_url, dead_redis,
                                                                make_compte):
    """A separate process: the limiter's fallback state is process-wide."""
    target, _ = make_compte(email="cible.scaleout@example.org", password=PASSWORD)
    other, _ = make_compte(email="autre.scaleout@example.org", password=PASSWORD)
    run = subprocess.run([sys.executable, "-c", LOGINS_WITHOUT_REDIS, database_url, dead_redis,
                          target.email, str(PER_ACCOUNT), other.email, PASSWORD],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-5000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["codes"] == [200] * PER_ACCOUNT + [429], run.stderr[-5000:]
    assert result["right"] == 302


# --- SECRET_KEY from instance/ ---------------------------------------------------------------

def _load_key_at_barrier(folder, barrier, keys):
    from ecandidat.config import load_config
    barrier.wait()
    keys.put(load_config(folder, folder, environ={})["SECRET_KEY"])


def test_workers_started_together_without_secret_key_share_one_key(tmp_path):
    """The workers of a first start without SECRET_KEY (gunicorn without --preload: each
    builds the app) race to create instance/secret_key; all must keep the key on disk.
    A plain write split the workers in about 15 % of such starts: 50 starts find it."""
    import multiprocessing
    context = multiprocessing.get_context("fork")
    workers = 4
    for start in range(50):
        folder = str(tmp_path / f"instance-{start}")
        barrier, keys = context.Barrier(workers), context.Queue()
        processes = [context.Process(target=_load_key_at_barrier, args=(folder, barrier, keys))
                     for _ in range(workers)]
        for process in processes:
            process.start()
        held = {keys.get(timeout=60) for _ in range(workers)}
        for process in processes:
            process.join(60)
        with open(os.path.join(folder, "secret_key")) as handle:
            assert held == {handle.read().strip()}, f"start {start}: {len(held)} keys"
        assert os.listdir(folder) == ["secret_key"]
        assert os.stat(os.path.join(folder, "secret_key")).st_mode & 0o777 == 0o600

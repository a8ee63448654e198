"""After the decision, through the pages (issue 9 §1–2), CSRF on (the token read from
the page): the candidate's Confirmation / Désistement candidature (the confirmation
page with the deadline, the optional reason, twice, after the deadline, someone
else's candidature), the rank on the liste complémentaire as configured, the
gestionnaire's actions in the console on one candidature or a selection (membre,
read-only and out-of-scope users refused), the exports and the Tableau de bord.
SQLite and PostgreSQL."""
import datetime
import html
import re

import pytest
import time_machine

from conftest import outbox, sign_in
from ecandidat import clock
from ecandidat.models import AuditLog, Avis, Candidat, Candidature, Centre
from factories import open_formation, pieces, question
from test_console import flashes
from test_console_actions import (action_url, field_error, login, quick_passwords,  # noqa: F401
                                  submit, token)
from test_console_candidatures import LIST, candidate, details, numero, transmitted
from test_console_exports import export_csv

DSS = "DSS"
TODAY = clock.today()
DEADLINE = TODAY + datetime.timedelta(days=40)


def favourable(candidature):
    Avis.create(candidature=candidature, type_avis="FA", valide=True, valide_le=clock.now())
    return fresh(candidature)


def on_list(candidature, rang):
    Avis.create(candidature=candidature, type_avis="LC", rang=rang, valide=True,
                valide_le=clock.now())
    return fresh(candidature)


def fresh(candidature):
    return Candidature.get_by_id(candidature.id)


def last_avis(candidature):
    return (Avis.select().where(Avis.candidature == candidature.id)
            .order_by(Avis.id.desc()).first())


@pytest.fixture
def decided(app, make_compte):
    """Formation M1AES (centre DSS) with a liste complémentaire and a confirmation
    deadline in 40 days: ALIX and CHLOE have a validated Favorable avis, BRUNO and
    DORA are on the liste complémentaire (rangs 1 and 2); LLCE (centre LET): EVE,
    favourable."""
    formation = open_formation("M1AES", liste_complementaire=True,
                               date_confirmation=DEADLINE)
    autre = open_formation("LLCE", centre=Centre.create(code="LET", libelle="UFR Lettres"),
                           date_confirmation=DEADLINE)
    for each in (formation, autre):
        pieces(each)
        question(each)
    made = {}
    for name in ("alix", "chloe", "bruno", "dora", "eve"):
        made[name] = transmitted(candidate(make_compte, f"{name}@example.org",
                                           nom=name.upper(), prenom=name.capitalize()),
                                 autre if name == "eve" else formation)
    for name in ("alix", "chloe", "eve"):
        made[name] = favourable(made[name])
    made["bruno"] = on_list(made["bruno"], 1)
    made["dora"] = on_list(made["dora"], 2)
    made["formation"] = formation
    return made


def as_candidate(app, candidature):
    """A client signed in as the candidature's candidate; CSRF checks on."""
    client = app.test_client()
    sign_in(client, candidature.candidat.compte)
    app.config["WTF_CSRF_ENABLED"] = True
    return client


def page(client, path):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def text(client, path):
    return html.unescape(page(client, path))


def candidate_flashes(content):
    return " ".join(html.unescape(m) for m in
                    re.findall(r'<p class="flash flash-\w+">(.*?)</p>', content, re.S))


def answer(client, candidature, action, **data):
    """GET the confirmation page, POST its form with its token (as the browser would);
    returns the page the browser ends on."""
    url = f"/candidatures/{candidature.id}/{action}"
    form_page = page(client, url)
    response = client.post(url, data={"csrf_token": token(form_page), **data})
    if response.status_code == 302:
        assert response.headers["Location"].endswith(f"/candidatures/{candidature.id}")
        return html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def state():
    """Everything an answer may change: candidatures, avis, audit rows, mails."""
    return ([c.__data__ for c in Candidature.select().order_by(Candidature.id)],
            [a.__data__ for a in Avis.select().order_by(Avis.id)],
            AuditLog.select().count(), len(outbox()))


def buttons(content):
    actions = content.split('<div class="actions">')[1].split("</div>")[0]
    return [label for label in ("Confirmation candidature", "Désistement candidature")
            if label in actions]


# --- The candidate ---------------------------------------------------------------------------

def test_the_candidate_confirms_then_only_desistement_remains(app, decided):
    alix = decided["alix"]
    client = as_candidate(app, alix)
    detail = text(client, f"/candidatures/{alix.id}")
    assert buttons(detail) == ["Confirmation candidature", "Désistement candidature"]
    assert re.search(r"Date limite de confirmation</dt><dd[^>]*>"
                     + DEADLINE.strftime("%d/%m/%Y"), detail)
    assert "En attente de votre réponse" in detail
    # The confirmation page: irreversible, the deadline.
    confirm = text(client, f"/candidatures/{alix.id}/confirmer")
    assert "la confirmation est définitive" in confirm
    assert f"Date limite de confirmation : {DEADLINE.strftime('%d/%m/%Y')}." in confirm
    assert fresh(alix).confirmation is None  # a GET changes nothing
    result = answer(client, alix, "confirmer")
    assert "Votre candidature à « Formation M1AES » est confirmée." in candidate_flashes(result)
    saved = fresh(alix)
    assert saved.confirmation == "CONFIRME" and saved.date_confirmation is not None
    assert saved.confirmation_par == f"candidat:{alix.candidat.compte.numero_dossier}"
    [mail] = outbox("CANDIDATURE_CONFIRM")
    assert mail.destinataire == "alix@example.org"
    assert buttons(result) == ["Désistement candidature"]
    assert f"Confirmée le {TODAY.strftime('%d/%m/%Y')}" in result
    listed = text(client, "/candidatures/")
    assert f"Confirmée le {TODAY.strftime('%d/%m/%Y')}" in listed
    # Twice: refused with the reason, nothing changes, no second mail.
    before = state()
    assert "Cette candidature est déjà confirmée." in text(
        client, f"/candidatures/{alix.id}/confirmer")
    again = client.post(f"/candidatures/{alix.id}/confirmer",
                        data={"csrf_token": token(page(client, f"/candidatures/{alix.id}"))})
    assert again.status_code == 302
    assert "Cette candidature est déjà confirmée." in candidate_flashes(
        client.get(again.headers["Location"]).get_data(as_text=True))
    assert state() == before


def test_the_list_shows_what_awaits_an_answer(app, decided):
    client = as_candidate(app, decided["chloe"])
    listed = text(client, "/candidatures/")
    assert "Réponse" in listed
    assert f"À confirmer au plus tard le {DEADLINE.strftime('%d/%m/%Y')}" in listed


def test_a_desistement_with_its_reason_promotes_the_first_of_the_list(app, decided):
    chloe, bruno, dora = decided["chloe"], decided["bruno"], decided["dora"]
    client = as_candidate(app, chloe)
    withdraw = text(client, f"/candidatures/{chloe.id}/desister")
    assert "le désistement est définitif" in withdraw
    assert "Motif du désistement (facultatif)" in withdraw
    result = answer(client, chloe, "desister", motif="J'ai choisi une autre université.")
    assert "Votre désistement de « Formation M1AES » est enregistré." in candidate_flashes(
        result)
    saved = fresh(chloe)
    assert (saved.confirmation, saved.motif_desistement) == (
        "DESISTE", "J'ai choisi une autre université.")
    assert buttons(result) == [] and f"Désistée le {TODAY.strftime('%d/%m/%Y')}" in result
    assert "J'ai choisi une autre université." in result
    [mail] = outbox("CANDIDATURE_DESIST")
    assert mail.destinataire == "chloe@example.org"
    [alert] = outbox("COMMISSION_ALERT_DESISTEMENT")
    assert alert.destinataire == "com-m1aes@example.org"
    # BRUNO (rang 1) is promoted, with the decision mail; DORA is first now.
    promoted = last_avis(bruno)
    assert (promoted.type_avis, promoted.valide) == ("FA", True)
    [mail] = outbox("AVIS_FAVORABLE")
    assert mail.destinataire == "bruno@example.org"
    assert last_avis(dora).rang_reel == 1
    bruno_page = text(as_candidate(app, bruno), f"/candidatures/{bruno.id}")
    assert buttons(bruno_page) == ["Confirmation candidature", "Désistement candidature"]
    # Twice: refused, no second promotion (DORA stays on the list), no mail.
    before = state()
    again = client.post(f"/candidatures/{chloe.id}/desister",
                        data={"csrf_token": token(page(client, f"/candidatures/{chloe.id}")),
                              "motif": "Encore"})
    assert "Le désistement de cette candidature est déjà enregistré." in candidate_flashes(
        client.get(again.headers["Location"]).get_data(as_text=True))
    assert state() == before and last_avis(dora).type_avis == "LC"


def test_a_confirmed_candidate_may_still_withdraw_without_a_reason(app, decided):
    alix = decided["alix"]
    client = as_candidate(app, alix)
    answer(client, alix, "confirmer")
    answer(client, alix, "desister", motif="   ")
    saved = fresh(alix)
    assert (saved.confirmation, saved.motif_desistement) == ("DESISTE", None)
    assert last_avis(decided["bruno"]).type_avis == "FA"


def test_a_reason_too_long_is_refused_next_to_the_field(app, decided):
    chloe = decided["chloe"]
    client = as_candidate(app, chloe)
    before = state()
    result = answer(client, chloe, "desister", motif="x" * 501)
    assert re.search(r'id="motif-error"[^>]*>Le motif tient en 500 caractères au plus\.<',
                     result)
    assert 'aria-invalid="true"' in result and "x" * 501 in result  # what was typed is kept
    assert state() == before
    # A line break sent as CRLF counts as one character, as the candidate typed it.
    answer(client, chloe, "desister", motif="x" * 498 + "\r\n" + "y")
    assert fresh(chloe).motif_desistement == "x" * 498 + "\n" + "y"


def test_after_the_deadline_the_candidate_is_refused_and_nothing_changes(app, decided):
    alix = decided["alix"]
    client = as_candidate(app, alix)
    before = state()
    expected = (f"La date limite de confirmation ({DEADLINE.strftime('%d/%m/%Y')}) est "
                "dépassée.")
    later = datetime.datetime.combine(DEADLINE + datetime.timedelta(days=1), datetime.time(10),
                                      tzinfo=clock.zone())
    with time_machine.travel(later, tick=False):
        assert clock.today() == DEADLINE + datetime.timedelta(days=1)
        client = as_candidate(app, alix)  # a new session (and CSRF token) that day
        form_page = page(client, f"/candidatures/{alix.id}")
        assert buttons(text(client, f"/candidatures/{alix.id}")) == []
        assert expected in text(client, f"/candidatures/{alix.id}/confirmer")
        for action in ("confirmer", "desister"):
            response = client.post(f"/candidatures/{alix.id}/{action}",
                                   data={"csrf_token": token(form_page), "motif": "x" * 501})
            assert response.status_code == 302, action
            assert expected in candidate_flashes(
                client.get(response.headers["Location"]).get_data(as_text=True)), action
    assert state() == before
    # The day of the deadline itself is still allowed.
    with time_machine.travel(later - datetime.timedelta(days=1), tick=False):
        answer(as_candidate(app, alix), alix, "confirmer")
    assert fresh(alix).confirmation == "CONFIRME"


def test_refusals_an_unfavourable_avis_a_missing_token_someone_else_s_id(app, decided):
    bruno, alix = decided["bruno"], decided["alix"]
    client = as_candidate(app, bruno)
    before = state()
    # On the liste complémentaire: nothing to answer.
    assert buttons(text(client, f"/candidatures/{bruno.id}")) == []
    response = client.post(f"/candidatures/{bruno.id}/confirmer",
                           data={"csrf_token": token(page(client, f"/candidatures/{bruno.id}"))})
    assert "n'a pas d'avis favorable validé" in candidate_flashes(
        client.get(response.headers["Location"]).get_data(as_text=True))
    # Without the token: refused before anything.
    assert client.post(f"/candidatures/{bruno.id}/desister").status_code == 400
    # Someone else's candidature, or none: 404 (own_candidature), GET and POST.
    csrf = token(page(client, f"/candidatures/{bruno.id}"))
    for candidature_id in (alix.id, 999999):
        for action in ("confirmer", "desister"):
            url = f"/candidatures/{candidature_id}/{action}"
            assert client.get(url).status_code == 404, url
            assert client.post(url, data={"csrf_token": csrf}).status_code == 404, url
    assert state() == before


@pytest.mark.parametrize("mode, shown", [("aucun", None), ("saisi", "7"), ("reel", "1")])
def test_the_rank_shown_follows_the_setting(app, decided, mode, shown):
    dora = decided["dora"]
    Avis.update(rang=7, rang_reel=1).where(Avis.candidature == dora.id).execute()
    app.config["LC_RANG_AFFICHAGE"] = mode
    detail = page(as_candidate(app, dora), f"/candidatures/{dora.id}")
    match = re.search(r'Rang en liste complémentaire</dt><dd id="rang-lc">(\d+)</dd>', detail)
    assert (match.group(1) if match else None) == shown
    assert ("Rang en liste complémentaire" in detail) == (shown is not None)


# --- The console -------------------------------------------------------------------------------

def test_a_gestionnaire_confirms_and_withdraws_from_ouvrir(app, decided, client):
    alix, chloe, bruno = decided["alix"], decided["chloe"], decided["bruno"]
    login(app, client, "gestionnaire", DSS)
    ouvrir = page(client, details(alix))
    assert "/actions/confirmer/" in ouvrir and "/actions/desister/" in ouvrir
    # Irreversible: the box must be ticked, even for one candidature.
    response = submit(client, "confirmer", [alix], {})
    assert field_error(response.get_data(as_text=True), "confirmer") == \
        "Cochez cette case pour confirmer."
    assert fresh(alix).confirmation is None
    # After the candidate's deadline: a gestionnaire may still answer for them.
    with time_machine.travel(datetime.datetime.combine(
            DEADLINE + datetime.timedelta(days=3), datetime.time(10), tzinfo=clock.zone())):
        that_day = app.test_client()  # a session (and CSRF token) of that day
        login(app, that_day, "gestionnaire", DSS, email="g2@example.org")
        response = submit(that_day, "confirmer", [alix], {"confirmer": "y"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(details(alix))
    saved = fresh(alix)
    assert saved.confirmation == "CONFIRME"
    assert saved.confirmation_par == "user:g2@example.org"
    assert outbox("CANDIDATURE_CONFIRM")[-1].destinataire == "alix@example.org"
    ouvrir = html.unescape(page(client, details(alix)))
    assert "/actions/confirmer/" not in ouvrir and "/actions/desister/" in ouvrir
    assert "Confirmation candidature" in ouvrir  # the timeline names it
    # Désistement with its reason: too long first, next to the field.
    response = submit(client, "desister", [chloe], {"confirmer": "y", "motif": "y" * 501})
    assert field_error(response.get_data(as_text=True), "motif") == \
        "Le motif tient en 500 caractères au plus."
    assert fresh(chloe).confirmation is None
    response = submit(client, "desister", [chloe],
                      {"confirmer": "y", "motif": "Appel du candidat : il part à l'étranger."})
    assert response.status_code == 302
    result = flashes(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Désistement enregistré pour 1 candidature." in result
    assert "Promue depuis la liste complémentaire" in result and numero(bruno) in result
    saved = fresh(chloe)
    assert (saved.confirmation, saved.motif_desistement) == (
        "DESISTE", "Appel du candidat : il part à l'étranger.")
    assert last_avis(bruno).type_avis == "FA"
    assert outbox("AVIS_FAVORABLE")[-1].destinataire == "bruno@example.org"
    ouvrir = html.unescape(page(client, details(chloe)))
    assert "Motif du désistement" in ouvrir and "il part à l'étranger." in ouvrir


def test_a_selection_is_answered_all_or_nothing(app, decided, client):
    alix, chloe, bruno, dora = (decided[n] for n in ("alix", "chloe", "bruno", "dora"))
    login(app, client, "gestionnaire", DSS)
    list_page = page(client, LIST)
    for slug in ("confirmer", "desister"):
        assert f'data-action="{slug}"' in list_page
    # BRUNO (liste complémentaire) blocks the selection: listed, nothing changed.
    before = state()
    response = submit(client, "desister", [alix, bruno], {"confirmer": "y"})
    content = html.unescape(response.get_data(as_text=True))
    blocked = content.split("Candidatures qui bloquent l'action")[1].split("</table>")[0]
    assert numero(bruno) in blocked and numero(alix) not in blocked
    assert "n'a pas d'avis favorable validé" in blocked
    assert state() == before
    # From the list's selection: both withdrawn, both of the list promoted in order.
    response = client.post("/admin/candidature/action/", data={
        "csrf_token": token(list_page), "action": "desister",
        "rowid": [str(alix.id), str(chloe.id)], "url": LIST})
    location = response.headers["Location"]
    assert "/actions/desister/" in location
    action_page = page(client, location)
    response = client.post(location, data={"csrf_token": token(action_page),
                                           "ids": f"{alix.id},{chloe.id}", "confirmer": "y",
                                           "motif": "Places refusées par téléphone"})
    assert response.status_code == 302
    assert "Désistement enregistré pour 2 candidatures." in flashes(
        client.get(response.headers["Location"]).get_data(as_text=True))
    for candidature in (alix, chloe):
        assert fresh(candidature).confirmation == "DESISTE"
    assert last_avis(bruno).type_avis == "FA" and last_avis(dora).type_avis == "FA"
    assert sorted(m.destinataire for m in outbox("AVIS_FAVORABLE")) == [
        "bruno@example.org", "dora@example.org"]


def test_a_membre_and_a_read_only_gestionnaire_are_refused(app, decided):
    alix = decided["alix"]
    before = state()
    for number, (role, scope, lecture_seule, message) in enumerate((
            ("commission", "COM-M1AES", False, "réservée aux gestionnaires"),
            ("gestionnaire", DSS, True, "lecture seule"))):
        client = app.test_client()
        login(app, client, role, scope, email=f"u{number}@example.org",
              lecture_seule=lecture_seule)
        ouvrir = page(client, details(alix))
        list_page = page(client, LIST)
        csrf = token(list_page)
        for slug in ("confirmer", "desister"):
            assert f"/actions/{slug}/" not in ouvrir, (role, slug)
            assert f'data-action="{slug}"' not in list_page, (role, slug)
            response = client.get(action_url(slug, alix))
            assert response.status_code == 302, (role, slug)
            assert message in flashes(client.get(response.headers["Location"]).get_data(
                as_text=True)), (role, slug)
            response = client.post(action_url(slug, alix), data={
                "csrf_token": csrf, "ids": str(alix.id), "confirmer": "y", "motif": "Non"})
            assert response.status_code == 302, (role, slug)
            client.post("/admin/candidature/action/", data={
                "csrf_token": csrf, "action": slug, "rowid": str(alix.id)})
    assert state() == before


def test_the_workflow_refuses_a_membre_even_without_the_page_check(app, decided, monkeypatch):
    monkeypatch.setattr("views.admin.candidatures.access_refusal", lambda *args: None)
    alix = decided["alix"]
    client = app.test_client()
    login(app, client, "commission", "COM-M1AES")
    before = state()
    for slug in ("confirmer", "desister"):
        response = submit(client, slug, [alix], {"confirmer": "y"})
        assert "réservée aux gestionnaires" in flashes(response.get_data(as_text=True)), slug
    assert state() == before


def test_a_candidature_out_of_scope_answers_404(app, decided, client):
    eve = decided["eve"]
    login(app, client, "gestionnaire", DSS)
    csrf = token(page(client, LIST))
    before = state()
    for slug in ("confirmer", "desister"):
        assert client.get(action_url(slug, eve)).status_code == 404
        response = client.post(action_url(slug, decided["alix"]), data={
            "csrf_token": csrf, "ids": str(eve.id), "confirmer": "y"})
        assert response.status_code == 404
    assert state() == before


# --- Exports and Tableau de bord ---------------------------------------------------------------

def test_exports_and_dashboard_show_the_reasons_and_the_list(app, decided, client):
    chloe, alix, dora = decided["chloe"], decided["alix"], decided["dora"]
    answer(as_candidate(app, chloe), chloe, "desister", motif="Autre université; plus proche")
    answer(as_candidate(app, alix), alix, "confirmer")
    login(app, client, "gestionnaire", DSS)
    rows = export_csv(client, columns="&".join(
        f"colonne={key}" for key in ("numero_dossier", "confirmation", "motif_desistement",
                                     "rang", "rang_reel")))
    assert rows[0] == ["N° de dossier", "Rang en liste complémentaire", "Rang réel",
                       "Confirmation / désistement", "Motif du désistement"]
    by_numero = {row[0]: row[1:] for row in rows[1:]}
    assert by_numero[numero(chloe)] == ["", "", "Désistée", "Autre université; plus proche"]
    assert by_numero[numero(alix)] == ["", "", "Confirmée", ""]
    assert by_numero[numero(dora)] == ["2", "1", "", ""]  # BRUNO promoted: DORA is first
    dashboard = html.unescape(page(client, "/admin/tableau-de-bord/"))
    row = re.search(r'<th scope="row">M1AES — .*?</tr>', dashboard, re.S).group(0)
    assert re.search(r'<td class="text-right console-lc">1</td>', row)
    assert "<summary>1 motif</summary>" in row and "Autre université; plus proche" in row
    assert "Liste complémentaire (en attente)" in dashboard
    assert "Motifs de désistement" in dashboard


# --- Demo data ---------------------------------------------------------------------------------

def test_the_demo_has_a_favourable_avis_to_answer_and_a_list_of_two(app):
    from ecandidat.demo import create_demo
    from ecandidat.models import CompteCandidat
    from ecandidat.workflow import decision, refusals
    from ecandidat.workflow.core import Actor

    def of(email):
        return (Candidature.select().join(Candidat).join(CompteCandidat)
                .where(CompteCandidat.email == email).get())

    create_demo()
    create_demo()  # idempotent: nothing added, no rank rewritten
    nathan = of("nathan.durand@example.org")
    assert refusals("confirmer", Actor.candidat(nathan.candidat), nathan) == []
    queue = decision.lc_queue(nathan.formation_id, nathan.campagne_id)
    assert [(a.candidature.candidat.compte.email, a.rang, a.rang_reel) for a in queue] == [
        ("manon.dubois@example.org", 1, 1), ("sarah.lambert@example.org", 2, 2)]
    assert Candidature.select().join(Candidat).join(CompteCandidat).where(
        CompteCandidat.email == "sarah.lambert@example.org").count() == 1

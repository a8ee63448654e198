"""The key dates of candidatures as iCalendar (issue 10 §4): a .ics per candidature and a
feed of all of them at a secret address (no session), read back with the `icalendar`
library itself."""
import datetime
import re

import pytest
import time_machine
from icalendar import Calendar

from conftest import sign_in
from ecandidat import calendar, workflow
from ecandidat.models import AbonnementCalendrier, Avis, Candidature, CompteCandidat
from ecandidat.security import hash_token
from factories import complete_candidat, open_formation

DAY = datetime.timedelta(days=1)
TODAY = datetime.date(2026, 3, 10)


@pytest.fixture
def frozen(app):
    with time_machine.travel(datetime.datetime(2026, 3, 10, 9, 0,
                                               tzinfo=datetime.timezone.utc), tick=False):
        yield


def dated_formation(code, **fields):
    dates = dict(date_retour=datetime.date(2026, 4, 15), date_jury=datetime.date(2026, 5, 4),
                 date_publication=datetime.date(2026, 5, 20),
                 date_confirmation=datetime.date(2026, 12, 1))
    dates.update(fields)
    return open_formation(code=code, today=TODAY, **dates)


@pytest.fixture
def candidate(frozen, make_compte):
    compte, _ = make_compte()
    candidat = complete_candidat(compte)
    return compte, candidat, workflow.Actor.candidat(candidat)


def apply(candidate, formation):
    _compte, candidat, actor = candidate
    return workflow.candidater(actor, candidat, formation)


def events(data):
    parsed = Calendar.from_ical(data)
    return {str(event["uid"]): event for event in parsed.walk("VEVENT")}, parsed


def by_kind(found, candidature):
    return {uid.split("-")[2].split("@")[0]: event for uid, event in found.items()
            if uid.startswith(f"candidature-{candidature.id}-")}


def publish(candidature, type_avis, when):
    return Avis.create(candidature=candidature, type_avis=type_avis, valide=True, valide_le=when)


def test_a_candidature_gives_its_four_key_dates_as_all_day_events(app, candidate):
    candidature = apply(candidate, dated_formation("M1AES"))
    found, parsed = events(calendar.candidature_calendar(candidature, lambda c: "https://x/c"))
    assert parsed["VERSION"] == "2.0" and parsed["PRODID"] == calendar.PRODID
    assert parsed["X-WR-TIMEZONE"] == "Europe/Paris"
    dates = by_kind(found, candidature)
    assert {kind: event.decoded("dtstart") for kind, event in dates.items()} == {
        "retour": datetime.date(2026, 4, 15), "jury": datetime.date(2026, 5, 4),
        "publication": datetime.date(2026, 5, 20),
        "confirmation": datetime.date(2026, 12, 1)}
    for event in dates.values():  # whole days: VALUE=DATE, ending the next day
        assert event["DTSTART"].params.get("VALUE") == "DATE"
        assert event.decoded("dtend") == event.decoded("dtstart") + DAY
        assert event["URL"] == "https://x/c"
    assert str(dates["retour"]["SUMMARY"]) == "Date limite de retour — Formation M1AES"
    assert f"{dates['jury']['UID']}" == f"candidature-{candidature.id}-jury@localhost"


def test_reminders_fire_at_nine_the_day_before_in_the_institutions_zone(app, candidate):
    candidature = apply(candidate, dated_formation("M1AES"))
    publish(candidature, "FA", datetime.datetime(2026, 5, 21, 8, tzinfo=datetime.timezone.utc))
    dates = by_kind(events(calendar.candidature_calendar(candidature))[0], candidature)

    def trigger(kind):
        [alarm] = dates[kind].walk("VALARM")
        assert alarm["TRIGGER"].params["VALUE"] == "DATE-TIME"
        return alarm.decoded("trigger")
    utc = datetime.timezone.utc
    # Paris: summer time in April (UTC+2), winter time in December (UTC+1).
    assert trigger("retour") == datetime.datetime(2026, 4, 14, 7, 0, tzinfo=utc)
    assert trigger("confirmation") == datetime.datetime(2026, 11, 30, 8, 0, tzinfo=utc)
    assert not dates["jury"].walk("VALARM")  # nothing for the candidate to do then

    app.config["TIMEZONE"] = "America/Cayenne"  # UTC-3 all year
    dates = by_kind(events(calendar.candidature_calendar(candidature))[0], candidature)
    assert trigger("retour") == datetime.datetime(2026, 4, 14, 12, 0, tzinfo=utc)
    assert events(calendar.candidature_calendar(candidature))[1]["X-WR-TIMEZONE"] == \
        "America/Cayenne"


def test_the_confirmation_deadline_only_while_it_concerns_the_candidate(app, candidate):
    with_delay = apply(candidate, dated_formation("DELAI", date_confirmation=None,
                                                  delai_confirmation=5))
    refused = apply(candidate, dated_formation("REFUS"))
    manual = apply(candidate, dated_formation("MANUEL"))
    Candidature.update(date_confirmation_manuelle=datetime.date(2026, 12, 24)).where(
        Candidature.id == manual.id).execute()
    manual = Candidature.get_by_id(manual.id)

    def kinds(candidature):
        return by_kind(events(calendar.candidature_calendar(candidature))[0], candidature)
    assert "confirmation" not in kinds(with_delay)  # a délai counts from the avis: unknown
    # Validated at 23:30 UTC on 20 May: already 21 May in Paris, so 26 May.
    publish(with_delay, "FA", datetime.datetime(2026, 5, 20, 23, 30,
                                                tzinfo=datetime.timezone.utc))
    assert kinds(with_delay)["confirmation"].decoded("dtstart") == datetime.date(2026, 5, 26)
    publish(refused, "DE", datetime.datetime(2026, 5, 20, 8, tzinfo=datetime.timezone.utc))
    assert set(kinds(refused)) == {"retour", "jury", "publication"}
    assert kinds(manual)["confirmation"].decoded("dtstart") == datetime.date(2026, 12, 24)


def test_uids_stay_when_a_date_moves(app, candidate):
    candidature = apply(candidate, dated_formation("M1AES"))
    first = by_kind(events(calendar.candidature_calendar(candidature))[0], candidature)
    Candidature.update(date_retour_manuelle=datetime.date(2026, 4, 30)).where(
        Candidature.id == candidature.id).execute()
    second = by_kind(events(calendar.candidature_calendar(Candidature.get_by_id(
        candidature.id)))[0], candidature)
    assert {k: e["UID"] for k, e in first.items()} == {k: e["UID"] for k, e in second.items()}
    assert second["retour"].decoded("dtstart") == datetime.date(2026, 4, 30)


# --- Pages ------------------------------------------------------------------------------

def test_the_candidature_page_offers_its_ics(app, client, candidate):
    compte, _candidat, _actor = candidate
    candidature = apply(candidate, dated_formation("M1AES"))
    sign_in(client, compte)
    page = client.get(f"/candidatures/{candidature.id}").get_data(as_text=True)
    assert f"/candidatures/{candidature.id}/calendrier.ics" in page
    response = client.get(f"/candidatures/{candidature.id}/calendrier.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    found = by_kind(events(response.data)[0], candidature)
    assert set(found) == {"retour", "jury", "publication", "confirmation"}
    assert found["retour"]["URL"] == f"http://localhost/candidatures/{candidature.id}"


def test_the_ics_of_another_candidate_or_for_a_visitor_is_refused(app, client, candidate,
                                                                  make_compte):
    candidature = apply(candidate, dated_formation("M1AES"))
    url = f"/candidatures/{candidature.id}/calendrier.ics"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    other, _ = make_compte(email="autre@example.org")
    sign_in(client, other)
    assert client.get(url).status_code == 404
    sign_in(client, candidate[0])
    workflow.annuler(candidate[2], candidature)
    assert client.get(url).status_code == 404  # cancelled: no page, no calendar


def token_in(page):
    return re.search(r'value="http://localhost/calendrier/([^"/]+)\.ics"', page).group(1)


def test_the_subscription_feed_serves_every_live_candidature_without_a_session(
        app, client, candidate, make_compte):
    compte, candidat, actor = candidate
    first = apply(candidate, dated_formation("M1AES"))
    second = apply(candidate, dated_formation("M2DROIT"))
    cancelled = apply(candidate, dated_formation("ANNULEE"))
    workflow.annuler(actor, cancelled)
    stranger, _ = make_compte(email="autre@example.org")
    theirs = complete_candidat(stranger)
    strangers = workflow.candidater(workflow.Actor.candidat(theirs), theirs,
                                    dated_formation("AUTRE"))
    sign_in(client, compte)
    assert "Aucune adresse d'abonnement" in client.get("/mon-compte/calendrier").get_data(
        as_text=True)
    page = client.post("/mon-compte/calendrier", data={"action": "generer"}).get_data(
        as_text=True)
    token = token_in(page)
    assert f'href="webcal://localhost/calendrier/{token}.ics"' in page
    # Only its hash is kept.
    [row] = AbonnementCalendrier.select()
    assert row.token_hash == hash_token(token) and token not in row.token_hash

    visitor = app.test_client()
    response = visitor.get(f"/calendrier/{token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "Set-Cookie" not in response.headers
    found, parsed = events(response.data)
    assert parsed["X-WR-CALNAME"] == "eCandidat — mes candidatures"
    candidatures = {int(uid.split("-")[1]) for uid in found}
    assert candidatures == {first.id, second.id}
    assert cancelled.id not in candidatures and strangers.id not in candidatures
    # The page now says an address is active, without showing it again.
    page = client.get("/mon-compte/calendrier").get_data(as_text=True)
    assert "est active depuis" in page and token not in page


def test_a_new_address_or_turning_it_off_stops_the_old_one(app, client, candidate):
    compte, _candidat, _actor = candidate
    apply(candidate, dated_formation("M1AES"))
    sign_in(client, compte)
    old = token_in(client.post("/mon-compte/calendrier", data={"action": "generer"})
                   .get_data(as_text=True))
    new = token_in(client.post("/mon-compte/calendrier", data={"action": "generer"})
                   .get_data(as_text=True))
    visitor = app.test_client()
    assert old != new and AbonnementCalendrier.select().count() == 1
    assert visitor.get(f"/calendrier/{old}.ics").status_code == 404
    assert visitor.get(f"/calendrier/{new}.ics").status_code == 200
    off = client.post("/mon-compte/calendrier", data={"action": "desactiver"})
    assert off.status_code == 302
    assert visitor.get(f"/calendrier/{new}.ics").status_code == 404
    assert "Aucune adresse d'abonnement" in client.get("/mon-compte/calendrier").get_data(
        as_text=True)


def test_bad_tokens_get_nothing(app, client, candidate):
    compte, _candidat, _actor = candidate
    token = calendar.new_subscription(compte)
    for bad in ("x", token[:-1], token + "a", "a" * 300):
        assert client.get(f"/calendrier/{bad}.ics").status_code == 404
    CompteCandidat.update(valide=False).where(CompteCandidat.id == compte.id).execute()
    assert client.get(f"/calendrier/{token}.ics").status_code == 404


def test_the_subscription_page_refuses_visitors_and_forged_posts(app, client, candidate):
    response = client.post("/mon-compte/calendrier", data={"action": "generer"})
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert not AbonnementCalendrier.select().exists()
    app.config["WTF_CSRF_ENABLED"] = True
    sign_in(client, candidate[0])
    assert client.post("/mon-compte/calendrier", data={"action": "generer"}).status_code == 400
    assert not AbonnementCalendrier.select().exists()


def test_the_feed_reads_as_many_statements_for_four_candidatures_as_for_one(app, client,
                                                                          candidate):
    from test_catalog import counting_queries
    compte, _candidat, _actor = candidate
    apply(candidate, dated_formation("F0", date_confirmation=None, delai_confirmation=3))
    token = calendar.new_subscription(compte)

    def statements():
        with counting_queries() as counter:
            assert client.get(f"/calendrier/{token}.ics").status_code == 200
        return counter.count
    before = statements()
    for n in range(1, 4):
        candidature = apply(candidate, dated_formation(f"F{n}", date_confirmation=None,
                                                       delai_confirmation=3))
        if n % 2:
            publish(candidature, "FA", datetime.datetime(2026, 5, 21, 8,
                                                         tzinfo=datetime.timezone.utc))
    assert before > 0 and statements() == before


def test_an_account_deleted_by_a_job_takes_its_subscription_along(app, candidate):
    """The jobs delete accounts with a plain DELETE (comptes, archivage): the database
    removes the subscription with it (ON DELETE CASCADE, migration 0013)."""
    compte, candidat, _actor = candidate
    calendar.new_subscription(compte)
    from ecandidat import jobs
    assert jobs._delete_accounts([compte.id]) == 1
    assert not AbonnementCalendrier.select().exists()

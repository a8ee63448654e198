"""The key dates of a candidature as an iCalendar file (RFC 5545, library `icalendar`):
date limite de retour, date de jury, date de publication des résultats, date limite de
confirmation — one .ics per candidature, and a feed of all the candidate's candidatures
at a secret address a calendar application subscribes to (no session needed).

Dates are whole days of the institution (all-day events, VALUE=DATE: a deadline is a
day, wherever the candidate reads it); the reminders fire at 9:00 in the institution's
time zone (TIMEZONE) the day before, written in UTC as RFC 5545 asks. Each event's UID
names the candidature and the kind of date, so a calendar that reads the file again
moves the event when a date changes instead of adding another.

The subscription address carries a random token of which only the SHA-256 is stored
(model AbonnementCalendrier): the address is shown once, when made; making a new one or
turning it off stops the old one at once."""
import datetime
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from icalendar import Alarm, Calendar, Event
from peewee import IntegrityError

from ecandidat import clock
from ecandidat.db import write_transaction
from ecandidat.models import (AbonnementCalendrier, Candidat, Candidature, Commission,
                              CompteCandidat, Formation)
from ecandidat.security import hash_token, new_token
from ecandidat.workflow.queries import (date_confirmation, date_retour,
                                        published_avis_by_candidature)

PRODID = "-//eCandidat//Calendrier des candidatures//FR"
REFRESH = datetime.timedelta(hours=12)
REMINDER_TIME = datetime.time(9, 0)
MEDIA_TYPE = "text/calendar; charset=utf-8"

RETOUR, JURY, PUBLICATION, CONFIRMATION = "retour", "jury", "publication", "confirmation"
LABELS = {
    RETOUR: _l("Date limite de retour"),
    JURY: _l("Date de jury"),
    PUBLICATION: _l("Date de publication des résultats"),
    CONFIRMATION: _l("Date limite de confirmation"),
}
# Statuts du dossier in which the candidate still has to send it.
TO_SEND = ("AT", "IN")


def key_dates(candidature, avis):
    """[(kind, date, remind)] of a candidature whose formation is loaded, `avis` its
    published avis (or None). The confirmation deadline only while it concerns the
    candidate: no avis yet, or a favourable one (and known: a délai counts from the
    avis); a reminder only for what is still to do."""
    formation = candidature.formation
    dates = [(RETOUR, date_retour(candidature), candidature.statut in TO_SEND),
             (JURY, formation.date_jury, False),
             (PUBLICATION, formation.date_publication, False)]
    if avis is None or avis.type_avis == "FA":
        # Without an avis a délai counts from nothing yet: unknown (and not read again
        # for each candidature of a feed).
        unknown = (avis is None and formation.delai_confirmation
                   and not candidature.date_confirmation_manuelle)
        deadline = None if unknown else date_confirmation(candidature, avis)
        answered = candidature.confirmation is not None
        dates.append((CONFIRMATION, deadline, avis is not None and not answered))
    return [(kind, day, remind) for kind, day, remind in dates if day]


def _host():
    return urlsplit(current_app.config.get("BASE_URL") or "").hostname or "ecandidat"


def uid(candidature, kind):
    return f"candidature-{candidature.id}-{kind}@{_host()}"


def _reminder_instant(day):
    """9:00 the day before `day` in the institution's zone, in UTC."""
    local = datetime.datetime.combine(day - datetime.timedelta(days=1), REMINDER_TIME,
                                      tzinfo=clock.zone())
    return local.astimezone(datetime.timezone.utc)


def _event(candidature, kind, day, remind, link, stamp):
    formation = candidature.formation
    label = str(LABELS[kind])
    event = Event()
    event.add("uid", uid(candidature, kind))
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + datetime.timedelta(days=1))
    event.add("summary", f"{label} — {formation.libelle}")
    description = [f"{label} : {formation.libelle}",
                   str(_l("Commission : %(commission)s", commission=formation.commission.libelle))]
    if link:
        url = link(candidature)
        event.add("url", url)
        description.append(url)
    event.add("description", "\n".join(description))
    event.add("transp", "TRANSPARENT")  # a deadline does not make the day busy
    if remind:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{label} — {formation.libelle}")
        alarm.add("trigger", _reminder_instant(day), parameters={"VALUE": "DATE-TIME"})
        event.add_component(alarm)
    return event


def _calendar(name):
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", str(clock.zone()))
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    return calendar


def calendar_of(candidatures, name, link=None):
    """The iCalendar bytes of `candidatures` (each with its formation and commission
    loaded); `link(candidature)` gives the absolute address of its page."""
    calendar = _calendar(str(name))
    published = published_avis_by_candidature(candidatures)
    stamp = clock.now()
    for candidature in candidatures:
        for kind, day, remind in key_dates(candidature, published.get(candidature.id)):
            calendar.add_component(_event(candidature, kind, day, remind, link, stamp))
    return calendar.to_ical()


def live_candidatures_of(compte):
    """The account's candidatures that are not cancelled, with their formation and
    commission, in one query."""
    return list(Candidature.select(Candidature, Formation, Commission)
                .join(Formation).join(Commission)
                .switch(Candidature).join(Candidat)
                .where(Candidat.compte == compte.id, Candidature.date_annulation.is_null())
                .order_by(Candidature.id))


def candidature_calendar(candidature, link=None):
    return calendar_of([candidature], _l("eCandidat — %(formation)s",
                                         formation=candidature.formation.libelle), link)


def feed(compte, link=None):
    return calendar_of(live_candidatures_of(compte), _l("eCandidat — mes candidatures"), link)


# --- The subscription address -----------------------------------------------------------------

def subscription(compte):
    return AbonnementCalendrier.get_or_none(AbonnementCalendrier.compte == compte.id)


def new_subscription(compte):
    """A new secret token for the account's feed (the previous one stops working);
    returns the token, shown once."""
    token, token_hash = new_token()
    values = {AbonnementCalendrier.token_hash: token_hash,
              AbonnementCalendrier.cree_le: clock.now()}
    for _attempt in range(2):
        try:
            with write_transaction():
                updated = (AbonnementCalendrier.update(values)
                           .where(AbonnementCalendrier.compte == compte.id).execute())
                if not updated:
                    AbonnementCalendrier.insert({AbonnementCalendrier.compte: compte.id,
                                                 **values}).execute()
            return token
        except IntegrityError:
            continue  # made at the same moment by another request: replace it
    raise RuntimeError("abonnement au calendrier non enregistré")


def end_subscription(compte):
    """Turn the feed off; True when there was one."""
    with write_transaction():
        return AbonnementCalendrier.delete().where(
            AbonnementCalendrier.compte == compte.id).execute() > 0


def compte_for_token(token):
    """The validated account whose live feed token is `token`, or None."""
    if not token or len(token) > 128:
        return None
    return (CompteCandidat.select().join(AbonnementCalendrier)
            .where(AbonnementCalendrier.token_hash == hash_token(token), CompteCandidat.valide)
            .first())

"""Time: instants stored in UTC, shown and read as dates in the institution's zone."""
import datetime
from zoneinfo import ZoneInfo

import time_machine

from conftest import outbox
from ecandidat import accounts, clock
from ecandidat.models import OutboxMail

UTC = datetime.timezone.utc
PARIS = ZoneInfo("Europe/Paris")


def test_a_reset_mail_shows_the_expiry_in_paris_time(app, make_compte):
    make_compte(email="lea@example.org")
    # 11:00 in Paris in winter (10:00 UTC), on a server whose own clock is set to Paris
    # (time-machine sets TZ from the destination); the link lasts two hours.
    with time_machine.travel(datetime.datetime(2026, 1, 15, 11, 0, tzinfo=PARIS), tick=False):
        accounts.request_password_reset("lea@example.org")
    [mail] = outbox("CPT_MIN_MDP_OUBLIE")
    assert "15 janvier 2026 à 13:00" in mail.corps_texte


def test_summer_time_is_followed(app, make_compte):
    make_compte(email="lea@example.org")
    with time_machine.travel(datetime.datetime(2026, 7, 15, 10, 0, tzinfo=UTC), tick=False):
        accounts.request_password_reset("lea@example.org")
    assert "15 juillet 2026 à 14:00" in outbox("CPT_MIN_MDP_OUBLIE")[0].corps_texte


def test_the_zone_is_a_setting(app, make_compte):
    app.config["TIMEZONE"] = "America/Cayenne"  # a French university overseas (UTC-3)
    make_compte(email="lea@example.org")
    # A fresh request context: Flask-Babel reads the zone once per context.
    with app.test_request_context(), \
            time_machine.travel(datetime.datetime(2026, 1, 15, 10, 0, tzinfo=UTC), tick=False):
        accounts.request_password_reset("lea@example.org")
    assert "15 janvier 2026 à 09:00" in outbox("CPT_MIN_MDP_OUBLIE")[0].corps_texte


def test_today_is_the_institutions_date_not_utcs(app):
    # 23:30 UTC on 31 December is already New Year's Day in Paris.
    with time_machine.travel(datetime.datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=False):
        assert clock.today() == datetime.date(2027, 1, 1)
        assert clock.now().date() == datetime.date(2026, 12, 31)


def test_instants_come_back_aware_and_equal(app):
    instant = datetime.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # the night clocks change
    mail = OutboxMail.create(destinataire="a@example.org", sujet="s", corps_texte="c",
                             code="X", next_attempt_at=instant)
    stored = OutboxMail.get_by_id(mail.id).next_attempt_at
    assert stored == instant and stored.tzinfo is not None
    assert clock.local(stored).hour == 3  # 03:30 summer time in Paris


def test_tz_environment_variable_sets_the_zone(tmp_path):
    from ecandidat.config import load_config
    config = load_config(str(tmp_path), str(tmp_path), {"TZ": "Pacific/Noumea"})
    assert config["TIMEZONE"] == "Pacific/Noumea"
    assert load_config(str(tmp_path), str(tmp_path), {})["TIMEZONE"] == "Europe/Paris"

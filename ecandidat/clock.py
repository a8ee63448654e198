"""The one clock of the application.

Instants are aware datetimes in UTC (stored as UTC, shown in the institution's
time zone by Flask-Babel); calendar dates (deadlines, "open today") are read in
the institution's time zone, `TIMEZONE` (environment `TZ`, Europe/Paris by
default): at 00:30 in Paris it is already the next day for a deadline, even
though UTC is still on the previous one."""
import datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Europe/Paris"


def zone():
    name = current_app.config.get("TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or DEFAULT_TIMEZONE)


def now():
    """This instant, aware, in UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


def today():
    """Today's date in the institution's time zone."""
    return local(now()).date()


def local(instant):
    """An instant in the institution's time zone (naive values are taken as UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=datetime.timezone.utc)
    return instant.astimezone(zone())

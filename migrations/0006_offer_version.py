"""The offer's stamp (issue 11): one row, `offer_stamp`, that the database itself bumps
in the writing transaction whenever a row of formation, commission, centre,
type_diplome or campagne is inserted, updated or deleted (or the table truncated, on
PostgreSQL), whoever writes: the console, a bulk update, the CLI, a SQL session.
The public offer is cached under this stamp (ecandidat.offer)."""
from peewee import *
from ecandidat.db import UTCDateTimeField

OFFER_TABLES = ("campagne", "centre", "commission", "type_diplome", "formation")

# changed_at never goes back (GREATEST/max): it is the page's Last-Modified.
POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION offer_stamp_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO offer_stamp (id, version, changed_at)
    VALUES (1, 1, clock_timestamp() AT TIME ZONE 'UTC')
    ON CONFLICT (id) DO UPDATE SET version = offer_stamp.version + 1,
        changed_at = GREATEST(offer_stamp.changed_at, EXCLUDED.changed_at);
    RETURN NULL;
END $$"""
POSTGRES_TRIGGER = """
CREATE TRIGGER offer_stamp_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}"
FOR EACH STATEMENT EXECUTE FUNCTION offer_stamp_bump()"""
# SQLite has row triggers only, one per event.
SQLITE_TRIGGER = """
CREATE TRIGGER offer_stamp_{event}_{table} AFTER {event} ON "{table}"
BEGIN
    INSERT INTO offer_stamp (id, version, changed_at)
    VALUES (1, 1, strftime('%Y-%m-%d %H:%M:%f', 'now'))
    ON CONFLICT (id) DO UPDATE SET version = offer_stamp.version + 1,
        changed_at = max(offer_stamp.changed_at, excluded.changed_at);
END"""
SQLITE_EVENTS = ("insert", "update", "delete")


def up(migrator, db):
    class OfferStamp(Model):
        id = IntegerField(primary_key=True)
        version = BigIntegerField(default=0)
        changed_at = UTCDateTimeField()

        class Meta:
            database = db
            table_name = 'offer_stamp'

    db.create_tables([OfferStamp])
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql("INSERT INTO offer_stamp (id, version, changed_at) "
                       "VALUES (1, 0, now() AT TIME ZONE 'UTC')")
        db.execute_sql(POSTGRES_FUNCTION)
        for table in OFFER_TABLES:
            db.execute_sql(POSTGRES_TRIGGER.format(table=table))
    else:
        db.execute_sql("INSERT INTO offer_stamp (id, version, changed_at) "
                       "VALUES (1, 0, strftime('%Y-%m-%d %H:%M:%f', 'now'))")
        for table in OFFER_TABLES:
            for event in SQLITE_EVENTS:
                db.execute_sql(SQLITE_TRIGGER.format(table=table, event=event))


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        for table in OFFER_TABLES:
            db.execute_sql(f'DROP TRIGGER IF EXISTS offer_stamp_bump ON "{table}"')
        db.execute_sql("DROP FUNCTION IF EXISTS offer_stamp_bump()")
    else:
        for table in OFFER_TABLES:
            for event in SQLITE_EVENTS:
                db.execute_sql(f"DROP TRIGGER IF EXISTS offer_stamp_{event}_{table}")
    db.execute_sql('DROP TABLE "offer_stamp"')

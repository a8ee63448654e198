"""The candidate's calendar subscription (issue 10 §4): one secret address per account,
kept as the SHA-256 of its token; the row goes with the account (ON DELETE CASCADE, and
ecandidat.personal_data deletes it explicitly too)."""
from peewee import *

from ecandidat.db import UTCDateTimeField


def up(migrator, db):
    class CompteCandidat(Model):
        class Meta:
            database = db
            table_name = 'compte_candidat'

    class AbonnementCalendrier(Model):
        compte = ForeignKeyField(CompteCandidat, unique=True, on_delete='CASCADE')
        token_hash = CharField(max_length=64, unique=True)
        cree_le = UTCDateTimeField()

        class Meta:
            database = db
            table_name = 'abonnement_calendrier'

    db.create_tables([AbonnementCalendrier])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "abonnement_calendrier"')

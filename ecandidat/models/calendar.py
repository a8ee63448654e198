"""The candidate's calendar subscription: a secret address serving the key dates of
all their candidatures (ecandidat.calendar)."""
from peewee import CharField, ForeignKeyField

from ecandidat import clock
from ecandidat.db import BaseModel, UTCDateTimeField
from ecandidat.models.accounts import CompteCandidat


class AbonnementCalendrier(BaseModel):
    """One live subscription address per account. Only the SHA-256 of the address's
    token is kept (as for the validation and reset links): the address is shown once,
    when it is made, and a copy of the database does not let anyone read the feeds.
    Regenerating replaces the row's hash (the old address stops at once); removing
    the row turns the subscription off."""
    compte = ForeignKeyField(CompteCandidat, unique=True, backref="abonnements_calendrier",
                             on_delete="CASCADE")
    token_hash = CharField(max_length=64, unique=True)
    cree_le = UTCDateTimeField(default=clock.now)


MODELS = [AbonnementCalendrier]

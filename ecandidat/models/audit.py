"""Audit trail: who changed what, before → after."""

from peewee import CharField, IntegerField, TextField

from ecandidat import clock
from ecandidat.db import BaseModel, UTCDateTimeField


class AuditLog(BaseModel):
    created_at = UTCDateTimeField(default=clock.now, index=True)
    actor = CharField()  # "candidat:<numero>", "user:<email>", "job:<name>", "cli"
    action = CharField(max_length=60, index=True)
    table = CharField(max_length=60)
    record_id = IntegerField(index=True)
    before = TextField(null=True)  # JSON
    after = TextField(null=True)  # JSON

    class Meta:
        indexes = ((("table", "record_id"), False),)


MODELS = [AuditLog]

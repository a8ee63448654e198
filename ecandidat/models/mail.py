"""Mail templates and the outbox every mail goes through."""

from peewee import BooleanField, CharField, IntegerField, TextField

from ecandidat import clock
from ecandidat.db import BaseModel, UTCDateTimeField


class MailTemplate(BaseModel):
    code = CharField(max_length=40, unique=True)
    libelle = CharField()
    sujet = CharField()
    corps = TextField()  # Jinja text with the variables listed in ecandidat.mail
    # The English version; None (or empty): English readers get the French one.
    sujet_en = CharField(null=True)
    corps_en = TextField(null=True)
    actif = BooleanField(default=True)

    def __str__(self):
        return self.code


class OutboxMail(BaseModel):
    """A mail persisted in the transaction of the change that caused it."""
    destinataire = CharField()
    sujet = CharField()
    corps_texte = TextField()
    corps_html = TextField(null=True)
    code = CharField(max_length=40, null=True, index=True)
    piece_jointe = CharField(null=True)  # path of a generated attachment
    created_at = UTCDateTimeField(default=clock.now, index=True)
    sent_at = UTCDateTimeField(null=True, index=True)
    attempts = IntegerField(default=0)
    next_attempt_at = UTCDateTimeField(default=clock.now, index=True)
    last_error = TextField(null=True)


MODELS = [MailTemplate, OutboxMail]

"""Login accounts: candidates (compte candidat) and console users."""
import secrets

from peewee import BooleanField, CharField

from ecandidat import clock
from ecandidat.db import BaseModel, UTCDateTimeField

NUMERO_DOSSIER_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def new_session_token():
    return secrets.token_urlsafe(24)


def new_numero_dossier():
    return "".join(secrets.choice(NUMERO_DOSSIER_ALPHABET) for _ in range(8))


class LoginMixin:
    """What Flask-Login needs. The session stores the rotating token, not the
    id, so rotating it (logout, password change) invalidates every session.

    get_id() here shadows peewee's Model.get_id(); peewee itself reads the key
    through ``_pk``, so use ``_pk`` (or ``.id``) for the primary key."""
    is_anonymous = False
    login_prefix = ""
    # Never shown nor written anywhere else (console, exports, audit trail).
    secret_fields = ("password_hash", "session_token")

    @property
    def is_authenticated(self):
        return True

    def get_id(self):
        return f"{self.login_prefix}:{self.session_token}"

    def rotate_session_token(self):
        self.session_token = new_session_token()


class CompteCandidat(LoginMixin, BaseModel):
    """The candidate's login (eCandidat's CompteMinima)."""
    numero_dossier = CharField(max_length=8, unique=True)
    nom = CharField(max_length=30)
    prenom = CharField(max_length=30)
    email = CharField(unique=True)  # stored lower-case
    password_hash = CharField(null=True)
    valide = BooleanField(default=False, index=True)
    validation_token_hash = CharField(max_length=64, null=True, index=True)
    validation_expires_at = UTCDateTimeField(null=True)
    reset_token_hash = CharField(max_length=64, null=True, index=True)
    reset_expires_at = UTCDateTimeField(null=True)
    must_change_password = BooleanField(default=False)
    # Rotated at logout and password change so old session cookies die.
    session_token = CharField(max_length=64, unique=True, default=new_session_token)
    langue = CharField(max_length=5, default="fr")
    created_at = UTCDateTimeField(default=clock.now, index=True)
    # The identity at the institution's OpenID provider the account is linked to: its
    # issuer and `sub` (stable and never reassigned, unlike an e-mail address), set at
    # the first single sign-on (ecandidat.sso).
    sso_issuer = CharField(null=True)
    sso_subject = CharField(null=True)

    login_prefix = "c"
    secret_fields = LoginMixin.secret_fields + ("validation_token_hash", "reset_token_hash")

    @property
    def is_active(self):
        return self.valide

    def __str__(self):
        return f"{self.numero_dossier} {self.nom} {self.prenom}"

    class Meta:
        indexes = ((("sso_issuer", "sso_subject"), True),)


class User(LoginMixin, BaseModel):
    """A console user: administrateur, gestionnaire de centre or membre de commission."""
    email = CharField(unique=True)
    nom = CharField(max_length=60)
    prenom = CharField(max_length=60)
    password_hash = CharField(null=True)
    role = CharField(max_length=20, index=True)  # see codes.ROLE
    actif = BooleanField(default=True)
    lecture_seule = BooleanField(default=False)
    must_change_password = BooleanField(default=False)
    session_token = CharField(max_length=64, unique=True, default=new_session_token)
    created_at = UTCDateTimeField(default=clock.now)
    sso_issuer = CharField(null=True)  # as CompteCandidat's
    sso_subject = CharField(null=True)
    # The console's language once chosen with the switch; None: the browser's.
    langue = CharField(max_length=5, null=True)

    login_prefix = "u"

    @property
    def is_active(self):
        return self.actif

    @property
    def is_console_user(self):
        return True

    def __str__(self):
        return f"{self.prenom} {self.nom} <{self.email}>"

    class Meta:
        indexes = ((("sso_issuer", "sso_subject"), True),)


MODELS = [CompteCandidat, User]

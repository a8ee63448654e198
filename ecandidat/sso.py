"""Single sign-on through the institution's OpenID provider (issue 10 §2).

The protocol (discovery, authorization code with PKCE, state, nonce, ID token
signature) is Authlib's, run by views/sso.py; here, the identity it proved becomes an
account. A candidate's first login links the account holding the verified address
or else the INE, or creates one with no password; a console user is only ever found,
never created, and keeps the roles the console gave. Every link, creation and login
is written to the audit trail."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from ecandidat import audit, clock
from ecandidat.accounts import normalise_email
from ecandidat.db import database
from ecandidat.models import Candidat, CompteCandidat, User
from ecandidat.models.accounts import new_numero_dossier
from ecandidat.profile import ine_errors, normalize_ine

NOM_MAX, PRENOM_MAX = 30, 20  # CompteCandidat.nom; Candidat.prenom (the narrower one)


class SsoError(ValueError):
    """A refused single sign-on, with the French reason shown on the login page."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def is_configured(config):
    return all(config.get(key) for key in ("OIDC_ISSUER", "OIDC_CLIENT_ID",
                                            "OIDC_CLIENT_SECRET"))


def same_issuer(one, other):
    return (one or "").rstrip("/") == (other or "").rstrip("/")


@dataclass(frozen=True)
class Identity:
    """What the provider asserted about the person who logged in."""
    issuer: str
    subject: str
    email: str
    email_verified: bool
    nom: str
    prenom: str
    ine: str = None

    @classmethod
    def from_claims(cls, issuer, claims, ine_claim=None):
        subject = str(claims.get("sub") or "")
        if not subject:
            raise SsoError(_l("Le service de connexion de l'établissement n'a pas indiqué "
                              "votre identifiant : la connexion est refusée."))
        nom = claims.get("family_name") or ""
        prenom = claims.get("given_name") or ""
        if not (nom or prenom) and claims.get("name"):
            prenom, _space, nom = str(claims["name"]).partition(" ")
        # Some providers send the flag as the string "true".
        verified = claims.get("email_verified") in (True, "true")
        ine = normalize_ine(claims.get(ine_claim)) if ine_claim else None
        return cls(issuer=issuer.rstrip("/"), subject=subject,
                   email=normalise_email(claims.get("email")), email_verified=verified,
                   nom=str(nom).strip(), prenom=str(prenom).strip(), ine=ine)

    def require_verified_email(self):
        if not self.email:
            raise SsoError(_l("Le service de connexion de l'établissement n'a pas transmis "
                              "votre adresse mail : la connexion est refusée. Contactez "
                              "l'assistance de votre établissement."))
        if not self.email_verified:
            raise SsoError(_l("Votre adresse mail n'est pas vérifiée par le service de "
                              "connexion de l'établissement : la connexion est refusée. "
                              "Faites-la vérifier auprès de votre établissement, ou "
                              "connectez-vous avec votre adresse mail et votre mot de passe."))

    def ine_parts(self):
        """(INE, clé) when the claim holds a well-formed INE of 11 characters (10 and its
        key letter, as the national directory writes it), else None."""
        if not self.ine or len(self.ine) != 11:
            return None
        ine, cle = self.ine[:10], self.ine[10:]
        return None if ine_errors(ine, cle, required=True) else (ine, cle)


def _linked(model, identity):
    return model.get_or_none((model.sso_issuer == identity.issuer)
                             & (model.sso_subject == identity.subject))


def _refuse_if_linked_elsewhere(account, identity):
    if account.sso_subject and account.sso_subject != identity.subject:
        raise SsoError(_l("Ce compte est déjà associé à une autre identité de l'établissement : "
                          "la connexion est refusée. Contactez l'assistance."))


INE_OF_A_PASSWORD_ACCOUNT = _l(
    "Un compte eCandidat porte déjà votre INE : connectez-vous avec son adresse mail (ou "
    "son numéro de dossier) et son mot de passe.")


def _account_with_ine(identity):
    """The one account whose file holds this INE (with its key), else None. The INE
    on a file is what its candidate typed: two files claiming it link neither, and a
    validated account with a password is never linked by it (whoever made it may have
    typed another student's INE, and would then read what that student adds); its
    owner is told to sign in with the password. An account never validated is linked,
    and loses its password (_link)."""
    if not identity.ine:
        return None
    candidats = list(Candidat.select(Candidat, CompteCandidat).join(CompteCandidat)
                     .where(Candidat.ine.concat(Candidat.cle_ine) == identity.ine).limit(2))
    if len(candidats) != 1:
        return None
    compte = candidats[0].compte
    if compte.password_hash and compte.valide:
        raise SsoError(INE_OF_A_PASSWORD_ACCOUNT)
    return compte


def _actor(compte):
    return f"candidat:{compte.numero_dossier}"


def sign_in_candidate(identity, now=None):
    """The candidate account of this identity: the one linked to it, else the one of
    its verified address or of its INE (linked now), else a new one.

    Returns (compte, how), how being "lien", "ine", "email" or "creation"."""
    now = now or clock.now()
    compte = _linked(CompteCandidat, identity)
    if compte is not None:
        audit.record(_actor(compte), "connexion_sso", compte)
        return compte, "lien"
    compte, how = _first_login(identity, now)
    audit.record(_actor(compte), "connexion_sso", compte)
    return compte, how


def _first_login(identity, now):
    # A first login: the address is the account's, and the mail address of every
    # message to come, so the provider must have verified it.
    identity.require_verified_email()
    how = "email"
    compte = CompteCandidat.get_or_none(CompteCandidat.email == identity.email)
    if compte is None:
        how = "ine"
        compte = _account_with_ine(identity)
    try:
        with database.atomic():
            if compte is None:
                return _create(identity, now), "creation"
            _link(compte, identity)
            return compte, how
    except IntegrityError:
        # The same identity's first login ran twice at once: the other one linked or
        # created the account.
        compte = _linked(CompteCandidat, identity)
        if compte is None:
            raise SsoError(_l("La connexion n'a pas pu aboutir, réessayez.")) from None
        return compte, "lien"


def _link(compte, identity):
    _refuse_if_linked_elsewhere(compte, identity)
    fields = ("sso_issuer", "sso_subject", "valide")
    before = audit.snapshot(compte, fields)
    compte.sso_issuer, compte.sso_subject = identity.issuer, identity.subject
    if not compte.valide:
        # Whoever created this account never proved the address; its owner just did.
        # A password chosen by someone else must not keep a way in.
        compte.password_hash = None
        compte.validation_token_hash = None
        compte.validation_expires_at = None
        compte.valide = True
        compte.rotate_session_token()
    compte.save()
    audit.record(_actor(compte), "lier_sso", compte, before, audit.snapshot(compte, fields))


def _create(identity, now):
    nom = (identity.nom or identity.email.split("@")[0]).upper()[:NOM_MAX]
    prenom = (identity.prenom or "")[:PRENOM_MAX]
    for _attempt in range(5):
        try:
            with database.atomic():
                compte = CompteCandidat.create(
                    numero_dossier=new_numero_dossier(), nom=nom, prenom=prenom,
                    email=identity.email, password_hash=None, valide=True,
                    sso_issuer=identity.issuer, sso_subject=identity.subject,
                    created_at=now)
                parts = identity.ine_parts()
                if parts:
                    Candidat.create(compte=compte, nom_patronymique=nom, prenom=prenom,
                                    langue=compte.langue, ine=parts[0], cle_ine=parts[1])
                audit.record(_actor(compte), "creer_compte_sso", compte, None,
                             audit.snapshot(compte, ("numero_dossier", "email", "sso_issuer",
                                                     "sso_subject")))
                return compte
        except IntegrityError:
            if (CompteCandidat.select().where(
                    (CompteCandidat.email == identity.email)
                    | ((CompteCandidat.sso_issuer == identity.issuer)
                       & (CompteCandidat.sso_subject == identity.subject))).exists()):
                raise
            # else the random n° dossier was taken: draw another
    raise SsoError(_l("Le compte n'a pas pu être créé, réessayez."))


UNKNOWN_CONSOLE_USER = _l("Aucun compte de la console ne correspond à votre identité de "
                          "l'établissement. Demandez à un administrateur de vous créer un "
                          "compte avec votre adresse mail de l'établissement.")


def sign_in_console_user(identity):
    """The active console user linked to this identity, or the one of its verified
    address (linked now). Never creates a user nor changes a role."""
    user = _linked(User, identity)
    if user is None:
        identity.require_verified_email()
        user = User.get_or_none(User.email == identity.email)
        if user is None:
            raise SsoError(UNKNOWN_CONSOLE_USER)
        _refuse_if_linked_elsewhere(user, identity)
        if user.actif:
            try:
                with database.atomic():
                    before = audit.snapshot(user, ("sso_issuer", "sso_subject"))
                    user.sso_issuer, user.sso_subject = identity.issuer, identity.subject
                    user.save(only=(User.sso_issuer, User.sso_subject))
                    audit.record(f"user:{user.email}", "lier_sso", user, before,
                                 audit.snapshot(user, ("sso_issuer", "sso_subject")))
            except IntegrityError:
                # This identity got linked to another user meanwhile.
                raise SsoError(UNKNOWN_CONSOLE_USER) from None
    if not user.actif:
        raise SsoError(_l("Votre compte de la console est désactivé : la connexion est "
                          "refusée."))
    audit.record(f"user:{user.email}", "connexion_sso", user)
    return user

"""Console users: creation, password, scopes (a centre for a gestionnaire, commissions
for a member), shared by the CLI and the console.

Passwords follow the candidates' policy (ecandidat.accounts.password_problems).
Setting a password or deactivating a user rotates the session token, so every
open session of that user ends at its next request."""
from flask_babel import gettext as _

from ecandidat.accounts import password_problems
from ecandidat.codes import ROLE
from ecandidat.db import database
from ecandidat.models import (Centre, Commission, CommissionMembre, GestionnaireCentre,
                              GestionnaireCommission, User)
from ecandidat.security import generate_password, hash_password


class UserError(ValueError):
    """A refusal with a French message, optionally tied to a form field."""

    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def new_password(user_or_names, password=None):
    """`password` checked against the policy, or a generated one when None.

    `user_or_names` is a User or a (nom, prenom, email) tuple. Returns the clear password."""
    if password is None:
        # A generated password is random enough; checking it could only fail by bad luck.
        return generate_password()
    nom, prenom, email = ((user_or_names.nom, user_or_names.prenom, user_or_names.email)
                          if isinstance(user_or_names, User) else user_or_names)
    problems = password_problems(password, nom, prenom, email)
    if problems:
        raise UserError(problems[0], "password")
    return password


def check_scope(role, centre, commissions):
    """Refuse a role without the scope it needs (a centre, at least one commission)."""
    if role not in ROLE:
        raise UserError(_("Rôle inconnu : %(role)s.", role=role), "role")
    if role == "gestionnaire" and centre is None:
        raise UserError(_("Un gestionnaire de centre doit être rattaché à un centre de "
                          "candidature."), "centre")
    if role == "commission" and not commissions:
        raise UserError(_("Un membre de commission doit être rattaché à au moins une "
                          "commission."), "commissions")
    if role == "gestionnaire" and any(c.centre_id != centre.id for c in commissions):
        raise UserError(_("Un gestionnaire ne peut être limité qu'à des commissions de son "
                          "centre."), "commissions")


def set_scope(user, centre, commissions):
    """Replace the user's scope rows with the ones its role needs (call in a transaction)."""
    GestionnaireCentre.delete().where(GestionnaireCentre.user == user._pk).execute()
    GestionnaireCommission.delete().where(GestionnaireCommission.user == user._pk).execute()
    if user.role == "gestionnaire":
        GestionnaireCentre.create(user=user, centre=centre, toutes_commissions=not commissions)
        for commission in commissions:  # none: every commission of the centre
            GestionnaireCommission.create(user=user, commission=commission.id)
    wanted = {c.id for c in commissions} if user.role == "commission" else set()
    (CommissionMembre.delete()
     .where(CommissionMembre.user == user._pk, CommissionMembre.commission.not_in(wanted))
     .execute())
    kept = {m.commission_id for m in CommissionMembre.select().where(
        CommissionMembre.user == user._pk)}
    for commission_id in wanted - kept:
        CommissionMembre.create(user=user, commission=commission_id)


def create_user(email, role, scope=None, password=None, nom="", prenom="",
                lecture_seule=False, president=False, commissions=None):
    """Create a console user in one transaction; returns (user, clear password).

    `scope` is the code of the centre (gestionnaire) or the code(s) of the
    commission(s) (membre: one code, several separated by commas, or a list);
    `president`: the membre presides them; `lecture_seule`: sees, changes nothing;
    `commissions` (gestionnaire): codes of the commissions of the centre they are
    limited to (none: all of them)."""
    email = email.strip().lower()
    nom = nom or email.split("@")[0]
    if role not in ROLE:
        raise UserError(_("Rôle inconnu : %(role)s.", role=role), "role")
    if User.select().where(User.email == email).exists():
        raise UserError(_("Un utilisateur existe déjà avec l'adresse %(email)s.", email=email),
                        "email")
    centre = Centre.get_or_none(Centre.code == scope) if role == "gestionnaire" else None
    listed = {"commission": scope, "gestionnaire": commissions}.get(role)
    codes = [c.strip() for c in (listed.split(",") if isinstance(listed, str)
                                 else list(listed or ())) if c.strip()]
    commissions = list(Commission.select().where(Commission.code.in_(codes))) if codes else []
    if role == "gestionnaire" and centre is None:
        raise UserError(_("Un gestionnaire doit avoir un centre existant (--scope CODE)."))
    unknown = sorted(set(codes) - {c.code for c in commissions})
    if (role == "commission" and not commissions) or unknown:
        raise UserError(_("Commissions inexistantes ou manquantes (--scope CODE[,CODE…] pour "
                          "un membre, --commissions pour un gestionnaire) : %(codes)s.",
                          codes=", ".join(unknown) or "—"))
    check_scope(role, centre, commissions)
    password = new_password((nom, prenom, email), password)
    with database.atomic():
        user = User.create(email=email, role=role, nom=nom, prenom=prenom,
                           password_hash=hash_password(password),
                           lecture_seule=bool(lecture_seule))
        set_scope(user, centre, commissions)
        if president and role == "commission":
            CommissionMembre.update(president=True).where(
                CommissionMembre.user == user.id).execute()
    return user, password


def set_password(email, password=None):
    """Set (or generate) the password of the user with this address; every open
    session of that user ends. Returns (user, clear password)."""
    user = User.get_or_none(User.email == (email or "").strip().lower())
    if user is None:
        raise UserError(_("Aucun utilisateur de la console n'a l'adresse %(email)s.",
                          email=email), "email")
    password = new_password(user, password)
    with database.atomic():
        apply_password(user, password)
        user.save()
    return user, password


def apply_password(user, password):
    """Put the hash of an already checked password on `user` (not saved) and end its sessions."""
    user.password_hash = hash_password(password)
    user.rotate_session_token()

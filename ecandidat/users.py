"""Console users and their scopes (centre for a gestionnaire, commission for a member)."""
from flask_babel import gettext as _

from ecandidat.codes import ROLE
from ecandidat.db import database
from ecandidat.models import Centre, Commission, CommissionMembre, GestionnaireCentre, User
from ecandidat.security import generate_password, hash_password


class UserError(ValueError):
    pass


def create_user(email, role, scope=None, password=None, nom="", prenom=""):
    """Create a console user in one transaction; returns (user, clear password)."""
    email = email.strip().lower()
    if role not in ROLE:
        raise UserError(_("Rôle inconnu : %(role)s.", role=role))
    if User.select().where(User.email == email).exists():
        raise UserError(_("Un utilisateur existe déjà avec l'adresse %(email)s.", email=email))
    centre = commission = None
    if role == "gestionnaire":
        centre = Centre.get_or_none(Centre.code == scope)
        if centre is None:
            raise UserError(_("Un gestionnaire doit avoir un centre existant (--scope CODE)."))
    elif role == "commission":
        commission = Commission.get_or_none(Commission.code == scope)
        if commission is None:
            raise UserError(_("Un membre de commission doit avoir une commission existante "
                              "(--scope CODE)."))
    password = password or generate_password()
    with database.atomic():
        user = User.create(email=email, role=role, nom=nom or email.split("@")[0],
                           prenom=prenom, password_hash=hash_password(password))
        if centre is not None:
            GestionnaireCentre.create(user=user, centre=centre)
        if commission is not None:
            CommissionMembre.create(user=user, commission=commission)
    return user, password

"""Console forms: the login, and the fields the user view adds to its model form."""
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, SelectMultipleField
from wtforms.validators import DataRequired, Email, Length, Optional

from ecandidat.codes import ROLE
from forms.base import BaseForm


class ConsoleLoginForm(BaseForm):
    email = EmailField(_l("Adresse mail"), validators=[
        DataRequired(_l("Saisissez votre adresse mail.")),
        Email(_l("Cette adresse mail n'est pas valide.")),
        Length(max=254, message=_l("L'adresse mail est trop longue."))])
    password = PasswordField(_l("Mot de passe"), validators=[
        DataRequired(_l("Saisissez votre mot de passe."))])


def role_field():
    return SelectField(_l("Rôle"), choices=ROLE.choices(),
                       validators=[DataRequired(_l("Choisissez un rôle."))])


def centre_field():
    """Choices (centres, commissions) are filled by the view for each form."""
    return SelectField(_l("Centre de candidature"), choices=[], coerce=_optional_int,
                       description=_l("Pour un gestionnaire de centre : le centre qu'il gère."))


def commissions_field():
    return SelectMultipleField(_l("Commissions"), choices=[], coerce=int,
                               description=_l("Pour un membre de commission : ses commissions. "
                                              "Pour un gestionnaire : vide pour toutes les "
                                              "commissions de son centre, sinon celles "
                                              "choisies."))


def password_field():
    # Never filled back: PasswordField renders empty whatever its data.
    return PasswordField(_l("Nouveau mot de passe"), validators=[
        Optional(), Length(max=128, message=_l("Le mot de passe est trop long."))],
        description=_l("Laissez vide pour garder le mot de passe actuel. Au moins 12 "
                       "caractères, ni nom ni prénom ; l'enregistrer déconnecte "
                       "l'utilisateur partout."))


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None

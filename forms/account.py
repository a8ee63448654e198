"""Account forms: Créer un compte, Connexion, forgotten credentials, e-mail change."""
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from forms.base import BaseForm

IDENTIFIER_MAX_LENGTH = 254  # the longest e-mail address

EMAIL_VALIDATORS = [
    DataRequired(_l("Saisissez votre adresse mail.")),
    Email(_l("Cette adresse mail n'est pas valide."), check_deliverability=False),
    Length(max=IDENTIFIER_MAX_LENGTH, message=_l("L'adresse mail est trop longue.")),
]


def password_field(label=_l("Mot de passe")):
    return PasswordField(label, validators=[DataRequired(_l("Saisissez un mot de passe."))])


class RegisterForm(BaseForm):
    nom = StringField(_l("Nom"), validators=[
        DataRequired(_l("Saisissez votre nom.")),
        Length(max=30, message=_l("Le nom ne doit pas dépasser 30 caractères."))])
    prenom = StringField(_l("Prénom"), validators=[
        DataRequired(_l("Saisissez votre prénom.")),
        Length(max=30, message=_l("Le prénom ne doit pas dépasser 30 caractères."))])
    email = EmailField(_l("Adresse mail"), validators=EMAIL_VALIDATORS)
    email_confirm = EmailField(_l("Confirmation Adresse Mail"), validators=[
        DataRequired(_l("Confirmez votre adresse mail.")),
        EqualTo("email", _l("Les deux adresses mail ne sont pas identiques."))])
    password = password_field()
    password_confirm = PasswordField(_l("Confirmation du mot de passe"), validators=[
        DataRequired(_l("Confirmez votre mot de passe.")),
        EqualTo("password", _l("Les deux mots de passe ne sont pas identiques."))])


def _bounded(value):
    """Keep one character past the limit: enough for the length check to refuse it,
    without echoing megabytes back in the re-rendered form."""
    return value[:IDENTIFIER_MAX_LENGTH + 1] if isinstance(value, str) else value


class LoginForm(BaseForm):
    identifier = StringField(_l("Utilisateur"), filters=[_bounded], validators=[
        DataRequired(_l("Saisissez votre adresse mail ou votre numéro de dossier.")),
        Length(max=IDENTIFIER_MAX_LENGTH, message=_l(
            "L'identifiant ne doit pas dépasser %(max)d caractères."))])
    password = PasswordField(_l("Mot de passe"), validators=[
        DataRequired(_l("Saisissez votre mot de passe."))])


class EmailRequestForm(BaseForm):
    email = EmailField(_l("Adresse mail"), validators=EMAIL_VALIDATORS)


class ResetPasswordForm(BaseForm):
    password = password_field(_l("Nouveau mot de passe"))
    password_confirm = PasswordField(_l("Confirmation du mot de passe"), validators=[
        DataRequired(_l("Confirmez votre mot de passe.")),
        EqualTo("password", _l("Les deux mots de passe ne sont pas identiques."))])


class ChangeEmailForm(BaseForm):
    email = EmailField(_l("Nouvelle adresse mail"), validators=EMAIL_VALIDATORS)
    email_confirm = EmailField(_l("Confirmation Adresse Mail"), validators=[
        DataRequired(_l("Confirmez votre adresse mail.")),
        EqualTo("email", _l("Les deux adresses mail ne sont pas identiques."))])
    password = PasswordField(_l("Mot de passe actuel"), validators=[
        DataRequired(_l("Saisissez votre mot de passe."))])

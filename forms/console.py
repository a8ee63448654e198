"""Console forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email


class ConsoleLoginForm(FlaskForm):
    email = EmailField(_l("Adresse mail"), validators=[
        DataRequired(_l("Saisissez votre adresse mail.")),
        Email(_l("Cette adresse mail n'est pas valide."))])
    password = PasswordField(_l("Mot de passe"), validators=[
        DataRequired(_l("Saisissez votre mot de passe."))])

"""Supprimer mon compte: the confirmation typed (the password, or a word for an account
without one); the check itself is ecandidat.personal_data's."""
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from forms.base import BaseForm


class DeleteAccountPasswordForm(BaseForm):
    confirmation = PasswordField(_l("Mot de passe"), validators=[
        DataRequired(_l("Saisissez votre mot de passe pour confirmer la suppression.")),
        Length(max=256, message=_l("Mot de passe incorrect."))])


class DeleteAccountWordForm(BaseForm):
    confirmation = StringField(_l("Mot de confirmation"), validators=[
        DataRequired(_l("Recopiez le mot demandé pour confirmer la suppression.")),
        Length(max=64, message=_l("Recopiez le mot demandé pour confirmer la suppression."))])

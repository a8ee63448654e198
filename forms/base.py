"""The base of every form, candidate pages and console alike.

Every value a person sends (text, list choice, date…) is refused when it carries
NUL or another control character (PostgreSQL rejects NUL outright, the others hide
text), with a French message next to the field. Tab and line breaks stay allowed.
The characters are also dropped from what the form reads of the request, so that
nothing downstream (the lists filled from what was typed, the page shown again, a
save) ever meets them, and the page comes back with the rest of the text.

The form checks its own CSRF token (see `views.form_view`): a token that has
expired or is missing fails the form like any other field, with a French reason
shown above it, and the page comes back with what was typed."""
from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF
from werkzeug.datastructures import MultiDict
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import StopValidation, ValidationError

from ecandidat.text import (CONTROL_CHARACTER_MESSAGE, drop_control_characters,
                            has_control_characters)

# Whatever Flask-WTF's reason (token expired, missing, session cookie gone…), the
# person can do one thing: check the page and send it again.
CSRF_MESSAGE = _l("Votre session a expiré ou le formulaire n'a pas pu être vérifié : "
                  "vérifiez les informations saisies et renvoyez le formulaire.")


# A 4-byte INTEGER column (SQLite stores up to 8 bytes, then Python's sqlite3 raises
# OverflowError; PostgreSQL refuses past 4 with "integer out of range").
INTEGER_MIN, INTEGER_MAX = -2**31, 2**31 - 1


def fits_integer_column(form, field):
    """Refuse a whole number that no INTEGER column holds, next to its field (else the
    save fails in the database: a 500 on SQLite, a bare 400 on PostgreSQL)."""
    if isinstance(field.data, int) and not INTEGER_MIN <= field.data <= INTEGER_MAX:
        raise StopValidation(_l("Ce nombre est hors des limites acceptées (de %(min)s à "
                                "%(max)s).", min=INTEGER_MIN, max=INTEGER_MAX))


def reject_control_characters(form, field):
    """Refuse a field whose sent value had control characters (see BaseForm.Meta),
    or whose data has some (a form filled from data rather than a request)."""
    if field.name in form.sent_control_characters or has_control_characters(field.data):
        # No other check of this field is worth running on such a value.
        raise StopValidation(CONTROL_CHARACTER_MESSAGE)


class FrenchCSRF(_FlaskFormCSRF):
    """Flask-WTF's token check, with its English reason replaced by a French one
    shown above the form (the token field itself is hidden)."""

    def validate_csrf_token(self, form, field):
        try:
            super().validate_csrf_token(form, field)
        except ValidationError as error:
            flash(str(CSRF_MESSAGE), "error")
            raise ValidationError(CSRF_MESSAGE) from error


class BaseForm(FlaskForm):
    """FlaskForm (one CSRF token) whose fields all refuse control characters."""

    # Names of the fields whose sent value had control characters.
    sent_control_characters = frozenset()

    class Meta:
        csrf_class = FrenchCSRF

        def wrap_formdata(self, form, formdata):
            """The request's values with their control characters dropped; the
            fields that had some are remembered, to be refused."""
            formdata = super().wrap_formdata(form, formdata)
            if formdata is None:
                return None
            pairs = list(formdata.items(multi=True))
            form.sent_control_characters = frozenset(
                key for key, value in pairs if has_control_characters(value))
            return MultiDict((key, drop_control_characters(value)) for key, value in pairs)

        def bind_field(self, form, unbound_field, options):
            field = unbound_field.bind(form=form, **options)
            if not isinstance(field, CSRFTokenField):  # its own check says why
                field.validators = [reject_control_characters, *field.validators]
            return field

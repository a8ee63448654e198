"""Rules on typed text shared by the forms and the domain."""
import re

from flask_babel import lazy_gettext as _l

# C0 controls except tab, LF and CR; DEL; C1 controls; the non-characters U+FFFE and U+FFFF.
# PostgreSQL rejects NUL outright; the others only hide text.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
CONTROL_CHARACTER_MESSAGE = _l(
    "Ce champ contient des caractères invisibles non autorisés (caractères de contrôle) : "
    "retapez le texte sans le copier-coller.")


def has_control_characters(value):
    return isinstance(value, str) and CONTROL_CHARACTERS.search(value) is not None


def drop_control_characters(value):
    return CONTROL_CHARACTERS.sub("", value) if isinstance(value, str) else value

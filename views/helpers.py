"""Small helpers shared by the blueprints."""
from functools import wraps
from urllib.parse import urlsplit

from flask import redirect, request, url_for
from flask_login import current_user

from ecandidat.db import PreparedSelect
from ecandidat.models import Candidat, CompteCandidat
from ecandidat.security import SESSION_CANDIDAT


def safe_next_url(target, default):
    """Only follow a local path: an absolute URL would be an open redirect. Browsers
    read a backslash as a slash ("/\\evil.example" is "//evil.example") and drop tabs
    and newlines, so a target holding any of them is refused too."""
    if not target or any(char == "\\" or ord(char) < 32 or ord(char) == 127
                         for char in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def signed_in(kind):
    """The signed-in account when it is of this kind (CompteCandidat or User), else None:
    a console user is not a candidate, and a candidate is not a console user."""
    user = current_user._get_current_object()
    if user.is_authenticated and isinstance(user, kind):
        return user
    return None


def signed_in_compte():
    """The signed-in candidate account, or None."""
    return signed_in(CompteCandidat)


def candidate_required(view):
    """Only a signed-in, validated candidate reaches the view; others go to Connexion."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if signed_in_compte() is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)

    wrapper.audience = "candidate"
    return wrapper


CANDIDAT_OF_COMPTE = PreparedSelect(
    lambda compte_id: Candidat.select().where(Candidat.compte == compte_id).limit(1))


def current_candidat():
    """The Candidat of the signed-in account, created empty on first use.

    Read with the account by ecandidat.security.load_user; an account signed in
    during this request (login_user) was not, and its Candidat is read here."""
    compte = signed_in_compte()
    try:
        candidat = getattr(compte, SESSION_CANDIDAT)
    except AttributeError:
        candidat = CANDIDAT_OF_COMPTE.first(compte.id)
    if candidat is None:
        candidat = Candidat.create(compte=compte, nom_patronymique=compte.nom,
                                   prenom=compte.prenom, langue=compte.langue)
        setattr(compte, SESSION_CANDIDAT, candidat)
    return candidat

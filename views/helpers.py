"""Small helpers shared by the blueprints."""
from functools import wraps
from urllib.parse import urlsplit

from flask import redirect, request, url_for
from flask_login import current_user

from ecandidat.models import Candidat, CompteCandidat


def safe_next_url(target, default):
    """Only follow a local path: an absolute URL would be an open redirect."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def signed_in_compte():
    """The signed-in candidate account, or None (console users are not candidates)."""
    if current_user.is_authenticated and isinstance(current_user._get_current_object(),
                                                    CompteCandidat):
        return current_user._get_current_object()
    return None


def candidate_required(view):
    """Only a signed-in, validated candidate reaches the view; others go to Connexion."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if signed_in_compte() is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)

    wrapper.audience = "candidate"
    return wrapper


def current_candidat():
    """The Candidat of the signed-in account, created empty on first use."""
    compte = signed_in_compte()
    candidat = Candidat.get_or_none(Candidat.compte == compte)
    if candidat is None:
        candidat = Candidat.create(compte=compte, nom_patronymique=compte.nom,
                                   prenom=compte.prenom, langue=compte.langue)
    return candidat

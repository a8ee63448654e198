"""Small JSON endpoints feeding the dependent lists.

Public (reference data only, no personal data), read-only, each answering
``[{"value": code, "label": text}, …]`` with a bounded length (see ecandidat.profile).
A missing or malformed parent gives an empty list, never an error."""
from flask import Blueprint, jsonify, request

from ecandidat import profile
from ecandidat.text import has_control_characters

bp = Blueprint("api", __name__, url_prefix="/api")

CACHE_SECONDS = 3600  # reference data changes with a referential reload only


@bp.after_request
def _cacheable(response):
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    return response


def _arg(name):
    """A query parameter, or "" when missing or carrying control characters (a NUL
    would make PostgreSQL fail the query): malformed, hence no match."""
    value = request.args.get(name) or ""
    return "" if has_control_characters(value) else value


def _year():
    """The ``annee`` parameter as a plausible year, else None (meaning every year)."""
    annee = request.args.get("annee", type=int)
    return annee if annee is not None and 1900 <= annee <= 2100 else None


@bp.get("/departements")
def departements():
    return jsonify(profile.departements())


@bp.get("/communes")
def communes():
    """Communes of ``code_postal`` or, failing that, of ``departement``."""
    if _arg("code_postal"):
        return jsonify(profile.communes_for_postal_code(_arg("code_postal")))
    return jsonify(profile.communes_for_departement(_arg("departement")))


@bp.get("/etablissements")
def etablissements():
    """Établissements of ``commune`` (INSEE code), of ``type`` when given."""
    return jsonify(profile.etablissements(_arg("commune"), _arg("type") or None))


@bp.get("/bac/series")
def bac_series():
    """Bac series valid in ``annee``, each with its ``specialites`` flag."""
    return jsonify(profile.bac_series(_year()))


@bp.get("/bac/specialites")
def bac_specialites():
    return jsonify(profile.bac_specialites(_year()))


@bp.get("/bac/mentions")
def bac_mentions():
    return jsonify(profile.bac_mentions(_year()))

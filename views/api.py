"""Small JSON endpoints feeding the dependent lists.

Public (reference data only, no personal data), read-only, each answering
``[{"value": code, "label": text}, …]`` with a bounded length (see ecandidat.profile).
A missing or malformed parent gives an empty list, never an error."""
from flask import Blueprint, jsonify, request

from ecandidat import profile

bp = Blueprint("api", __name__, url_prefix="/api")

CACHE_SECONDS = 3600  # reference data changes with a referential reload only


@bp.after_request
def _cacheable(response):
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    return response


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
    if request.args.get("code_postal"):
        return jsonify(profile.communes_for_postal_code(request.args["code_postal"]))
    return jsonify(profile.communes_for_departement(request.args.get("departement", "")))


@bp.get("/etablissements")
def etablissements():
    """Établissements of ``commune`` (INSEE code), of ``type`` when given."""
    return jsonify(profile.etablissements(request.args.get("commune", ""),
                                          request.args.get("type") or None))


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

"""Public pages: Accueil, Assistance."""
from flask import Blueprint, render_template

from ecandidat.models import Campagne
from views.helpers import signed_in_compte

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    return render_template("main/index.html", campagne=Campagne.active(),
                           compte=signed_in_compte())


@bp.route("/assistance")
def assistance():
    return render_template("main/assistance.html")

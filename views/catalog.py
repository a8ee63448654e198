"""Offre de formation: the public training offer and the page of one formation.

Both pages are public. The offer is read with one joined query, then filtered and
grouped in Python (Centre de candidature → type de diplôme → formations), so the
number of SQL queries does not grow with the number of formations (SPEC §9)."""
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, render_template, request

from ecandidat import clock, codes, workflow
from ecandidat.models import (Candidat, Candidature, Centre, Commission, Formation,
                              TypeDiplome)
from views.helpers import signed_in_compte

bp = Blueprint("catalog", __name__, url_prefix="/offre-de-formation")

# Longer searches are cut: nobody types more, and it bounds the matching work.
MAX_SEARCH_LENGTH = 200
APPLY_ENDPOINT = "candidatures.candidater"


# --- Search ------------------------------------------------------------------------------

def fold(text):
    """`text` lower-cased and without accents: "Médecine" and "MEDECINE" both give "medecine"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def search_words(query):
    """The folded words of a search; empty when there is nothing to search."""
    return fold((query or "")[:MAX_SEARCH_LENGTH]).split()


def matches(formation, words):
    """True when every word occurs in the formation's libellé, mots clés, code or centre.

    `formation` must come with its commission and centre loaded (see `Formation.offered`)."""
    haystack = fold(" ".join((formation.libelle, formation.mots_cles or "", formation.code,
                              formation.commission.centre.libelle)))
    return all(word in haystack for word in words)


# --- Offer -------------------------------------------------------------------------------

@dataclass
class TypeGroup:
    type_diplome: TypeDiplome
    formations: list = field(default_factory=list)


@dataclass
class CentreGroup:
    centre: Centre
    types: list = field(default_factory=list)

    @property
    def count(self):
        return sum(len(group.formations) for group in self.types)


def tree_order(formation):
    """Sort key: centre by libellé, type de diplôme by `ordre`, formation by libellé.

    Sorted here rather than in SQL so that SQLite and PostgreSQL (whose collations
    differ on case and accents) show the same order."""
    centre, type_diplome = formation.commission.centre, formation.type_diplome
    return (fold(centre.libelle), centre.id, type_diplome.ordre, fold(type_diplome.libelle),
            type_diplome.id, fold(formation.libelle), formation.id)


def build_tree(formations):
    """[CentreGroup] holding [TypeGroup] holding formations, all in display order."""
    tree = []
    for formation in sorted(formations, key=tree_order):
        centre, type_diplome = formation.commission.centre, formation.type_diplome
        if not tree or tree[-1].centre.id != centre.id:
            tree.append(CentreGroup(centre))
        types = tree[-1].types
        if not types or types[-1].type_diplome.id != type_diplome.id:
            types.append(TypeGroup(type_diplome))
        types[-1].formations.append(formation)
    return tree


def mode_label(formation):
    """"Dossier dématérialisé" or "Dossier papier"."""
    return codes.MODE_CANDIDATURE.label("DEMAT" if formation.demat else "PAPIER")


@bp.route("/")
def offre():
    """The offer as a tree, optionally filtered by `?q=` (every word must match)."""
    query = (request.args.get("q") or "")[:MAX_SEARCH_LENGTH].strip()
    words = search_words(query)
    formations = [formation for formation in Formation.offered()
                  if matches(formation, words)]
    return render_template("catalog/offre.html", tree=build_tree(formations), q=query,
                           searching=bool(words), result_count=len(formations),
                           today=clock.today(), mode_label=mode_label)


# --- One formation -----------------------------------------------------------------------

def offered_formation_or_404(formation_id):
    """The offered formation with this id (relations loaded), or 404 when it is
    unknown or withdrawn from the offer."""
    formation = Formation.offered().where(Formation.id == formation_id).first()
    if formation is None:
        abort(404)
    return formation


def live_candidature(compte, formation):
    """The account's non-cancelled candidature to the formation, or None."""
    if compte is None:
        return None
    return (Candidature.select(Candidature.id).join(Candidat)
            .where(Candidat.compte == compte.id, Candidature.formation == formation.id,
                   Candidature.date_annulation.is_null())
            .first())


@bp.app_template_filter("web_link")
def web_link(url):
    """The URL when it is an http(s) link, else None: a `javascript:` or `data:` URL
    typed in the console must never become a clickable link."""
    if url and urlsplit(url.strip()).scheme.lower() in ("http", "https"):
        return url.strip()
    return None


@bp.route("/<int:formation_id>")
def formation(formation_id):
    """The formation's details, the pièces asked, and how to apply: a "Candidater"
    button for a signed-in candidate while applications are open, otherwise the
    Connexion / Créer un compte links or the closed notice."""
    formation = offered_formation_or_404(formation_id)
    compte = signed_in_compte()
    return render_template(
        "catalog/formation.html", formation=formation,
        commission=formation.commission, centre=formation.commission.centre,
        pieces=workflow.pieces_asked(formation),
        is_open=formation.is_open(clock.today()), compte=compte,
        candidature=live_candidature(compte, formation),
        can_apply_here=APPLY_ENDPOINT in current_app.view_functions,
        mode_label=mode_label, web_link=web_link(formation.url),
        traitement_label=codes.TYPE_TRAITEMENT_FORMATION.label(formation.type_traitement))

"""What a console user may see: the one place that decides it (SPEC §1, issue 8 §1).

`scope_of(user)` computes a frozen `Scope` once per request; the `visible_*`
helpers narrow a query to that scope. Console views, downloads and (later)
actions and exports call them: no view builds its own scope filter, and an id
outside the scope is treated as if it did not exist (404).

Who sees which candidatures (`visible_candidatures`); a cancelled candidature is
in no list yet (eCandidat shows them on a separate "annulées" screen):
- administrateur: every candidature;
- gestionnaire de centre: every candidature to a formation of their centre(s) —
  of the listed commissions only when their account lists some (GestionnaireCommission) —
  whatever its statut — transmitted or not: the centre follows drafts too (it
  may extend their date de retour, set their type de traitement before they are
  received, ecandidat-domain §3.5 (a));
- membre de commission: candidatures to a formation of their commission(s) once
  transmitted — statut other than AT (En attente): "un dossier non transmis ne
  constitue pas une candidature", and AT is not a statut commissions see — in
  a statut the administrator leaves visible to commissions (StatutDossierParam),
  and of the active campaign (of no campaign while none is in service).

What a user may do is the workflow's rules table (ecandidat.workflow.rules): it
reads the same Scope (role, read-only, présidences) for every console action.

The set-up (paramétrage) reaches the same way (`visible_centres`,
`visible_commissions`, `visible_formations`, `visible_setup_rows`):
- administrateur: every row, the common ones (pièces, questions, motivations,
  tags without a centre nor a formation) included — those are theirs alone;
- gestionnaire de centre: their centre(s), their commissions and formations, and
  the pièces, questions, tags and motivations of their centre or of one of its
  formations; never a common row;
- membre de commission: their commissions and formations (the console shows them
  read-only), nothing else of the set-up.
What each role may change there is said by the console views (who may edit
which screen); which rows they may change, or point a row at, is this scope.
"""
from dataclasses import dataclass

from ecandidat.models import (Campagne, Candidature, Centre, Commission, CommissionMembre,
                              Formation, GestionnaireCentre, GestionnaireCommission,
                              StatutDossierParam)

# The statuts du dossier commission members may see, unless StatutDossierParam hides one.
COMMISSION_STATUTS = ("RE", "CO", "IN")


@dataclass(frozen=True)
class Scope:
    """A console user's reach: everything (`all`), or centres and commissions by id.

    `centres` are the centres the user manages (a gestionnaire), `commissions`
    every commission they may see: all those of their centres for a
    gestionnaire, their own for a membre. `read_only` users see and change nothing.
    `presidences`: the commissions a membre presides. For a membre,
    `statuts` are the statuts du dossier they see and `campagne` the campaign
    whose candidatures they see (None: those linked to no campaign)."""
    role: str = ""
    all: bool = False
    centres: frozenset = frozenset()
    commissions: frozenset = frozenset()
    read_only: bool = True
    presidences: frozenset = frozenset()
    statuts: tuple = ()
    campagne: int = None

    @property
    def transmitted_only(self):
        return self.role == "commission"


NOTHING = Scope()


def scope_of(user):
    """The Scope of a console User (NOTHING for None or an inactive user)."""
    if user is None or not user.actif:
        return NOTHING
    read_only = bool(user.lecture_seule)
    if user.role == "admin":
        return Scope(role="admin", all=True, read_only=read_only)
    if user.role == "gestionnaire":
        rows = list(GestionnaireCentre.select(GestionnaireCentre.centre,
                                              GestionnaireCentre.toutes_commissions)
                    .where(GestionnaireCentre.user == user.id))
        centres = frozenset(row.centre_id for row in rows)
        commissions = frozenset(c.id for c in Commission.select(Commission.id).where(
            Commission.centre.in_(centres))) if centres else frozenset()
        if any(not row.toutes_commissions for row in rows):  # the listed ones only
            commissions &= frozenset(row.commission_id for row in GestionnaireCommission.select(
                GestionnaireCommission.commission).where(GestionnaireCommission.user == user.id))
        return Scope(role="gestionnaire", centres=centres, commissions=commissions,
                     read_only=read_only)
    if user.role == "commission":
        rows = list(CommissionMembre.select(CommissionMembre.commission, CommissionMembre.president)
                    .where(CommissionMembre.user == user.id))
        hidden = {row.code for row in StatutDossierParam.select(StatutDossierParam.code)
                  .where(~StatutDossierParam.visible_commission)}
        campagne = Campagne.active()
        return Scope(role="commission", read_only=read_only,
                     commissions=frozenset(row.commission_id for row in rows),
                     presidences=frozenset(row.commission_id for row in rows if row.president),
                     statuts=tuple(s for s in COMMISSION_STATUTS if s not in hidden),
                     campagne=campagne.id if campagne else None)
    return NOTHING


def sees(scope, candidature):
    """Whether `scope` sees this (loaded) candidature: the same rule as
    `visible_candidatures`, for a row already in hand (the workflow's checks)."""
    if candidature.date_annulation is not None:
        return False
    if scope.all:
        return True
    if candidature.formation.commission_id not in scope.commissions:
        return False
    if scope.transmitted_only:
        return (candidature.statut in scope.statuts
                and candidature.campagne_id == scope.campagne)
    return True


def _none(query, model):
    """`query` matching no row (an empty IN list is not valid SQL everywhere)."""
    return query.where(model.id.is_null())


def visible_candidatures(scope, query, formation_joined=False):
    """`query` (a select on Candidature) narrowed to the candidatures `scope` sees;
    see the module's docstring for who sees what. `formation_joined`: the query
    already joins Formation, and filtering on its commission lets the database
    walk the candidatures once (5 to 7 times faster at 100,000 on SQLite than the
    IN (sub-select) needed otherwise, tools/bench_console)."""
    query = query.where(Candidature.date_annulation.is_null())
    if scope.all:
        return query
    if not scope.commissions:
        return _none(query, Candidature)
    if formation_joined:
        query = query.where(Formation.commission.in_(sorted(scope.commissions)))
    else:
        query = query.where(Candidature.formation.in_(Formation.select(Formation.id).where(
            Formation.commission.in_(sorted(scope.commissions)))))
    if scope.transmitted_only:
        query = query.where(Candidature.statut.in_(scope.statuts or ("",)),
                            Candidature.campagne == scope.campagne
                            if scope.campagne else Candidature.campagne.is_null())
    return query


def visible_candidature(scope, candidature_id, query=None):
    """The candidature with this id (any text: a forged one gives None) if `scope`
    sees it, else None; `query` (default: the bare row) may select related rows."""
    try:
        candidature_id = int(candidature_id)
    except (TypeError, ValueError):
        return None
    query = Candidature.select() if query is None else query
    return visible_candidatures(scope, query.where(Candidature.id == candidature_id)).first()


def _within_commissions(scope, query, model, commission_column):
    """`query` on `model` narrowed to the rows whose `commission_column` is one of
    `scope`'s commissions."""
    if scope.all:
        return query
    if not scope.commissions:
        return _none(query, model)
    return query.where(commission_column.in_(sorted(scope.commissions)))


def visible_formations(scope, query):
    """`query` (a select on Formation) narrowed to the formations of `scope`'s commissions."""
    return _within_commissions(scope, query, Formation, Formation.commission)


def visible_commissions(scope, query):
    """`query` (a select on Commission) narrowed to `scope`'s commissions."""
    return _within_commissions(scope, query, Commission, Commission.id)


def visible_setup_rows(scope, query, model):
    """`query` on a set-up row owned by a centre — PieceJustificative and Question
    (a centre or a formation), Tag and MotivationAvis (a centre) — narrowed to
    the rows of the centres `scope` manages and, where the model has a formation,
    of those centres' formations. Common rows (no centre, no formation) belong to
    the administrators: only a scope that sees everything sees them; a membre de
    commission manages no centre and sees none of these rows."""
    if scope.all:
        return query
    if not scope.centres:
        return _none(query, model)
    condition = model.centre.in_(sorted(scope.centres))
    if "formation" in model._meta.fields and scope.commissions:
        condition |= model.formation.in_(Formation.select(Formation.id).where(
            Formation.commission.in_(sorted(scope.commissions))))
    return query.where(condition)


def visible_to_administrators(scope, query, model):
    """`query` on rows only administrators set up (campagnes, types de décision,
    motivations d'avis): every row for a scope that sees everything, none otherwise."""
    return query if scope.all else _none(query, model)


def visible_centres(scope, query):
    """`query` (a select on Centre) narrowed to the centres `scope` manages, or for a
    membre de commission the centres of their commissions."""
    if scope.all:
        return query
    if scope.centres:
        return query.where(Centre.id.in_(sorted(scope.centres)))
    if not scope.commissions:
        return _none(query, Centre)
    return query.where(Centre.id.in_(Commission.select(Commission.centre).where(
        Commission.id.in_(sorted(scope.commissions)))))

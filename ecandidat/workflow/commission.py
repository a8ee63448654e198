"""The console's actions on candidatures (SPEC §4.7, ecandidat-domain §3.5).

Each function takes the console user acting (`Actor.user(user)`, which carries
their Scope) and one candidature or a selection; a selection is all or nothing
(engine.BulkRefused lists the rows that blocked it). Who may do what, in which
statut, and which mail goes, is the rules table (ecandidat.workflow.rules);
what an input must hold (an avis' motivation or rang, a piece refused without a
comment) is checked here, field by field (InvalidInput), before anything is
written. Console views only turn forms into these calls."""
import datetime

from flask_babel import lazy_gettext as _l

from ecandidat import clock, codes, permissions
from ecandidat.audit import record, snapshot
from ecandidat.db import write_transaction
from ecandidat.models import (Avis, Candidat, Candidature, CandidatureTag, Commission,
                              CompteCandidat, Formation, MotivationAvis, PieceCandidat, Tag,
                              TypeDecision)
from ecandidat.workflow.content import freeze_shared_pieces
from ecandidat.workflow.core import WorkflowError
from ecandidat.workflow.engine import BulkRefused, run_many
from ecandidat.workflow.queries import (WITH_COMMISSION, has_validated_avis, last_avis,
                                        piece_rows)

# Where each statut du dossier keeps the date the user gives it.
STATUT_DATE_FIELDS = {"RE": "date_reception", "CO": "date_complet", "IN": "date_incomplet"}
PIECE_STATUTS = ("VA", "RE", "AT")  # what the commission sets (codes.STATUT_PIECE)
AVIS_FIELDS = ("type_avis", "motivation", "rang", "commentaire", "preselection_date",
               "preselection_heure", "preselection_lieu", "valide")
MAX_SELECTION = 500
MAX_RANG = 100_000


class InvalidInput(WorkflowError):
    """Bad input for an action: `errors` maps each form field to its French message."""

    def __init__(self, errors):
        super().__init__(next(iter(errors.values())))
        self.errors = errors


# --- The selection ----------------------------------------------------------------------

def candidatures_for(actor, ids):
    """The candidatures with these ids, with their candidate, account, formation and
    commission loaded, in id order — every one of them in the actor's scope:
    a forged or out-of-scope id refuses the whole selection."""
    try:
        wanted = sorted({int(i) for i in ids})
    except (TypeError, ValueError):
        raise WorkflowError(_l("La sélection est invalide.")) from None
    if not wanted:
        raise WorkflowError(_l("Sélectionnez au moins une candidature."))
    if len(wanted) > MAX_SELECTION:
        raise WorkflowError(_l("Sélectionnez au plus %(n)s candidatures à la fois.",
                               n=MAX_SELECTION))
    query = (Candidature.select(Candidature, Candidat, CompteCandidat, Formation, Commission)
             .join(Candidat).join(CompteCandidat)
             .switch(Candidature).join(Formation).join(Commission)
             .where(Candidature.id.in_(wanted)).order_by(Candidature.id))
    found = list(permissions.visible_candidatures(actor.scope, query))
    if len(found) != len(wanted):
        raise WorkflowError(_l("La sélection contient %(n)s candidature(s) inexistante(s) ou "
                               "hors de votre périmètre : rien n'a été modifié.",
                               n=len(wanted) - len(found)))
    return found


def _refuse_where(candidatures, blocked, message):
    rows = [(c, message) for c in candidatures if blocked(c)]
    if rows:
        raise BulkRefused(rows)


def _no_validated_avis(candidature, today):
    """On a selection (checked under the lock, with the rule): no validated avis yet."""
    if has_validated_avis(candidature):
        return [_l("Un avis validé existe déjà sur cette candidature.")]
    return []


# --- Statut du dossier ------------------------------------------------------------------

def _instant(day, today):
    """The moment recorded for a date the user chose: now when it is today, else
    noon (in the institution's zone) that day."""
    if day is None or day == today:
        return clock.now()
    noon = datetime.datetime.combine(day, datetime.time(12), tzinfo=clock.zone())
    return noon.astimezone(datetime.timezone.utc)


def changer_statut(actor, candidatures, statut, date=None, today=None):
    """Statut du dossier → `statut` (RE, CO, IN or AT) as of `date` (default today,
    never later); mail STATUT_xx. IN gives the file back to the candidate."""
    today = today or clock.today()
    if statut not in codes.STATUT_DOSSIER:
        raise InvalidInput({"statut": _l("Choisissez un statut du dossier.")})
    if date is not None and date > today:
        raise InvalidInput({"date": _l("La date ne peut pas être postérieure à aujourd'hui.")})
    values = {}
    if statut in STATUT_DATE_FIELDS:
        values[STATUT_DATE_FIELDS[statut]] = _instant(date, today)

    def write(locked):
        if statut in WITH_COMMISSION and locked.statut not in WITH_COMMISSION:
            # Received on the candidate's behalf (a paper file, a file sent back
            # complete): it keeps what it holds now, as a transmission does.
            freeze_shared_pieces(locked)
            if locked.date_transmission is None:
                received = values[STATUT_DATE_FIELDS[statut]]
                Candidature.update(date_transmission=received).where(
                    Candidature.id == locked.id).execute()
                locked.date_transmission = received
    run_many(f"statut_{statut}", actor, candidatures, write=write, today=today, values=values)


# --- Type de traitement -----------------------------------------------------------------

def changer_type_traitement(actor, candidatures, type_traitement, today=None):
    """Set the type de traitement: Accès contrôlé is validated at once (mail
    TYPE_TRAIT_AC), the others wait for "valider". On a selection, refused where
    a validated avis already exists."""
    if type_traitement not in codes.TYPE_TRAITEMENT:
        raise InvalidInput({"type_traitement": _l("Choisissez un type de traitement.")})
    run_many(f"type_traitement_{type_traitement}", actor, candidatures, today=today,
             values={"type_traitement": type_traitement,
                     "type_traitement_valide": type_traitement == "AC"},
             checks=(_no_validated_avis,) if len(candidatures) > 1 else ())


def valider_type_traitement(actor, candidatures, today=None):
    """Validate the type de traitement: Accès direct (de droit) creates a validated
    favourable avis; mail TYPE_TRAIT_AD, _AC or _ATT."""
    def write(candidature):
        if candidature.type_traitement == "AD":
            formation = candidature.formation
            _create_avis(actor, candidature, dict(
                type_avis="FA", type_decision=_decision(formation, "FA"), valide=True,
                valide_par=actor.id, valide_le=clock.now()))
    run_many("valider_type_traitement", actor, candidatures, write=write, today=today,
             values={"type_traitement_valide": True})


# --- Pièces -----------------------------------------------------------------------------

def changer_statut_piece(actor, candidature, piece_id, statut, commentaire=None, today=None):
    """A piece of a received file → Validée, Refusée (with the comment the
    candidate will read) or En attente. No mail (eCandidat sends none)."""
    commentaire = (commentaire or "").strip() or None
    if statut not in PIECE_STATUTS:
        raise InvalidInput({"statut": _l("Choisissez Validée, Refusée ou En attente.")})
    if statut == "RE" and not commentaire:
        raise InvalidInput({"commentaire": _l(
            "Indiquez au candidat pourquoi la pièce est refusée.")})

    def write(locked):
        # A decision is about what this candidature holds: its own row. A shared
        # row (used by the candidate's other candidatures, maybe at other
        # centres) is first copied to it, as at transmission.
        freeze_shared_pieces(locked, only=piece_id)
        piece, row = next(((piece, row) for piece, row in piece_rows(locked)
                           if str(piece.id) == str(piece_id)), (None, None))
        if piece is not None and row is None and not locked.formation.demat:
            # A paper file: the commission records what arrived by post.
            row = PieceCandidat.create(candidat=locked.candidat_id, candidature=locked.id,
                                       piece=piece.id, statut="AT")
        # A file put back "En attente" by the commission is still there to decide on.
        if (row is None or row.candidature_id != locked.id
                or (locked.formation.demat and row.statut == "AT" and not row.fichier)):
            raise WorkflowError(_l("Le candidat n'a rien déposé pour cette pièce."))
        before = snapshot(row, ("statut", "commentaire"))
        updated = (PieceCandidat.update(statut=statut, commentaire=commentaire,
                                        statut_par=actor.label, updated_at=clock.now())
                   .where(PieceCandidat.id == row.id, PieceCandidat.statut == row.statut)
                   .execute())
        if updated != 1:
            raise WorkflowError(_l("Cette pièce vient d'être modifiée par ailleurs : rechargez "
                                   "la page et recommencez."))
        row.statut, row.commentaire = statut, commentaire
        record(actor.label, "statut_piece", row, before,
               snapshot(row, ("statut", "commentaire")))
        return row
    return run_many("statut_piece", actor, [candidature], write=write, today=today)[0]


# --- Avis -------------------------------------------------------------------------------

def _decision(formation, type_avis):
    """The type de décision recorded with an avis: the formation's own favourable
    decision, else the first active decision of that type (None if none)."""
    if type_avis == "FA" and formation.type_decision_fav_id:
        return formation.type_decision_fav_id
    decision = (TypeDecision.select(TypeDecision.id)
                .where(TypeDecision.type_avis == type_avis, TypeDecision.actif)
                .order_by(TypeDecision.id).first())
    return decision.id if decision else None


def avis_errors(type_avis, motivation=None, rang=None, formations=()):
    """{field: message} for an avis that cannot be entered as given."""
    errors = {}
    if type_avis not in codes.TYPE_AVIS:
        errors["type_avis"] = _l("Choisissez un type d'avis.")
    if type_avis == "DE" and motivation is None:
        errors["motivation"] = _l("La motivation est obligatoire pour un avis défavorable.")
    if type_avis == "LC":
        if rang is None:
            errors["rang"] = _l("Le rang est obligatoire pour la liste complémentaire.")
        elif not 1 <= rang <= MAX_RANG:
            errors["rang"] = _l("Le rang est un nombre entier de 1 à %(max)s.", max=MAX_RANG)
        without = sorted({f.libelle for f in formations if not f.liste_complementaire})
        if without:
            errors["type_avis"] = _l("Pas de liste complémentaire pour : %(formations)s.",
                                     formations=", ".join(without))
    return errors


def saisir_avis(actor, candidatures, type_avis, motivation_id=None, rang=None,
                commentaire=None, preselection_date=None, preselection_heure=None,
                preselection_lieu=None, today=None):
    """Enter an avis: a new row (the history stays; the last counts), not
    validated, and the candidate's answer (and its reminder) reset. On a selection, refused
    as a whole where a validated avis exists."""
    motivation = None
    if motivation_id not in (None, ""):
        try:
            motivation = MotivationAvis.get_or_none(MotivationAvis.id == int(motivation_id),
                                                    MotivationAvis.actif)
        except (TypeError, ValueError):
            motivation = None
        if motivation is None:
            raise InvalidInput({"motivation": _l("Choisissez une motivation de la liste.")})
    errors = avis_errors(type_avis, motivation, rang, [c.formation for c in candidatures])
    if errors:
        raise InvalidInput(errors)
    if motivation is not None and motivation.centre_id is not None:
        _refuse_where(candidatures,
                      lambda c: c.formation.commission.centre_id != motivation.centre_id,
                      _l("Cette motivation n'est pas celle du centre de la formation."))
    fields = dict(type_avis=type_avis, motivation=motivation.id if motivation else None,
                  rang=rang if type_avis == "LC" else None,
                  commentaire=(commentaire or "").strip() or None)
    if type_avis == "PR":
        fields.update(preselection_date=preselection_date,
                      preselection_heure=(preselection_heure or "").strip() or None,
                      preselection_lieu=(preselection_lieu or "").strip() or None)

    def write(candidature):
        return _create_avis(actor, candidature, dict(
            fields, type_decision=_decision(candidature.formation, type_avis)))
    created = run_many("saisir_avis", actor, candidatures, write=write, today=today,
                       values={"confirmation": None, "date_confirmation": None,
                               "confirmation_par": None, "motif_desistement": None,
                               "relance_envoyee": False},
                       checks=(_no_validated_avis,) if len(candidatures) > 1 else ())
    # A new avis takes a candidate out of the liste complémentaire's queue.
    _recompute_rangs(candidatures)
    return created


def _create_avis(actor, candidature, fields):
    avis = Avis.create(candidature=candidature.id, created_by=actor.id, **fields)
    after = snapshot(avis, AVIS_FIELDS)
    if avis.motivation_id:  # the trail says which reason, as the candidate reads it
        after["motivation"] = MotivationAvis.get_by_id(avis.motivation_id).libelle
    record(actor.label, "avis", avis, None, after)
    return avis


def valider_avis(actor, candidatures, today=None, expected=None):
    """Publish the last avis of each candidature: the candidate sees it and gets
    the mail of its type (rules table). `expected`: the ids of the avis the user
    was shown ("1,2" or a list); if another avis was entered since, nothing is
    validated (nobody publishes an avis they have not seen)."""
    if expected is not None:
        try:
            expected = {int(i) for i in (expected.split(",") if isinstance(expected, str)
                                         else expected) if str(i).strip()}
        except (TypeError, ValueError):
            raise WorkflowError(_l("La sélection est invalide.")) from None

    def write(candidature):
        avis = last_avis(candidature)
        if expected is not None and avis.id not in expected:
            raise WorkflowError(_l(
                "Un nouvel avis a été saisi sur le dossier %(numero)s depuis l'affichage de "
                "cette page : vérifiez-le avant de le valider. Rien n'a été validé.",
                numero=candidature.candidat.compte.numero_dossier))
        now = clock.now()
        updated = (Avis.update(valide=True, valide_par=actor.id, valide_le=now)
                   .where(Avis.id == avis.id, ~Avis.valide).execute())
        if updated != 1:
            raise WorkflowError(_l("Cet avis vient d'être validé par ailleurs."))
        avis.valide, avis.valide_le = True, now
        record(actor.label, "valider_avis", avis, {"valide": False}, {"valide": True})
        return avis
    validated = run_many("valider_avis", actor, candidatures, write=write, today=today)
    _recompute_rangs(candidatures)
    return validated


def _recompute_rangs(candidatures):
    """Once the avis are committed: the rang réel of the listes complémentaires these
    candidatures are on, in a transaction of its own that locks only the formation —
    holding the candidatures' locks while waiting for a formation's would deadlock
    with a désistement, which holds the formation while it locks the candidature it
    promotes (ecandidat.workflow.decision). The rang réel is derived: the next
    recomputation (any avis, désistement or the désistement-auto job) rewrites it."""
    from ecandidat.workflow.decision import lock_formation, recompute_rangs
    lists = sorted({(c.formation_id, c.campagne_id or 0) for c in candidatures
                    if c.formation.liste_complementaire})
    for formation_id, campagne_id in lists:
        with write_transaction():
            lock_formation(formation_id)
            recompute_rangs(formation_id, campagne_id or None)


# --- Tags, dates, bloc-notes ------------------------------------------------------------

def tags_of(candidature_ids):
    """{candidature id: [Tag]} in one query."""
    tags = {}
    if candidature_ids:
        for row in (CandidatureTag.select(CandidatureTag, Tag).join(Tag)
                    .where(CandidatureTag.candidature.in_(list(candidature_ids)))
                    .order_by(Tag.libelle)):
            tags.setdefault(row.candidature_id, []).append(row.tag)
    return tags


def tags_for(formation_centre_ids):
    """The active tags usable on candidatures of these centres (common ones included)."""
    return list(Tag.select().where(
        Tag.actif, Tag.centre.is_null() | Tag.centre.in_(sorted(formation_centre_ids) or [0]))
        .order_by(Tag.libelle))


def changer_tags(actor, candidatures, tag_ids, today=None):
    """Replace the tags of each candidature with `tag_ids` (common tags, or tags
    of the formation's centre)."""
    try:
        wanted = sorted({int(i) for i in tag_ids})
    except (TypeError, ValueError):
        raise InvalidInput({"tags": _l("Choisissez des tags de la liste.")}) from None
    tags = list(Tag.select().where(Tag.id.in_(wanted or [0]), Tag.actif))
    if len(tags) != len(wanted):
        raise InvalidInput({"tags": _l("Choisissez des tags de la liste.")})
    for tag in tags:
        if tag.centre_id is not None:
            _refuse_where(candidatures,
                          lambda c, tag=tag: c.formation.commission.centre_id != tag.centre_id,
                          _l("Le tag « %(tag)s » n'est pas celui du centre de la formation.",
                             tag=tag.libelle))

    def write(candidature):
        before = sorted(t.libelle for t in tags_of([candidature.id]).get(candidature.id, []))
        CandidatureTag.delete().where(CandidatureTag.candidature == candidature.id).execute()
        if tags:
            CandidatureTag.insert_many(
                [{"candidature": candidature.id, "tag": tag.id} for tag in tags]).execute()
        record(actor.label, "tags", candidature, {"tags": before},
               {"tags": sorted(t.libelle for t in tags)})
    run_many("tags", actor, candidatures, write=write, today=today)


def changer_date_retour(actor, candidatures, date, today=None):
    """A manual date limite de retour (None: the formation's again)."""
    run_many("date_retour", actor, candidatures, today=today,
             values={"date_retour_manuelle": date})


def changer_date_confirmation(actor, candidatures, date, today=None):
    """A manual date limite de confirmation (None: the formation's rule again)."""
    run_many("date_confirmation", actor, candidatures, today=today,
             values={"date_confirmation_manuelle": date})


def changer_bloc_notes(actor, candidature, text, today=None):
    run_many("bloc_notes", actor, [candidature], today=today,
             values={"bloc_notes": (text or "").strip() or None})

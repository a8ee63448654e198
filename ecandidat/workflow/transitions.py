"""The candidate's transitions: candidater, transmettre, annuler."""
from flask_babel import format_date, lazy_gettext as _l
from peewee import IntegrityError

from ecandidat import clock
from ecandidat.audit import record, snapshot
from ecandidat.db import write_transaction
from ecandidat.models import Campagne, Candidature, Commission, Formation, PieceCandidat
from ecandidat.profile import completeness
from ecandidat.workflow.content import freeze_shared_pieces
from ecandidat.workflow.core import (CANDIDAT, WorkflowError, delete_files_after_commit,
                                     lock_candidat)
from ecandidat.workflow.engine import STATUT_FIELDS, run, send
from ecandidat.workflow.queries import live_candidatures
from ecandidat.workflow.rules import Mail


# --- candidater ----------------------------------------------------------------

# The sections of the file needed to apply, with the screen that fills each.
REQUIRED_SECTIONS = {
    "infos_perso": (_l("Informations perso."), "profile.infos_perso"),
    "adresse": (_l("Adresse"), "profile.adresse"),
    "bac": (_l("Baccalauréat"), "profile.bac"),
}


def check_can_apply(candidat, formation, today=None):
    """Raise WorkflowError with the first unmet precondition of SPEC §4.3."""
    today = today or clock.today()
    missing = completeness(candidat).missing
    if missing:
        label, endpoint = REQUIRED_SECTIONS[missing[0]]
        raise WorkflowError(
            _l("Votre dossier est incomplet : complétez la rubrique « %(rubrique)s » avant de "
               "candidater.", rubrique=label), link=(endpoint, {}), link_label=label)
    if not formation.is_open(today):
        raise WorkflowError(_l(
            "Les candidatures pour cette formation sont fermées (du %(debut)s au %(fin)s).",
            debut=format_date(formation.date_debut_depot, "dd/MM/yyyy"),
            fin=format_date(formation.date_fin_depot, "dd/MM/yyyy")))
    if live_candidatures(candidat).where(Candidature.formation == formation.id).exists():
        raise WorkflowError(_l("Vous avez déjà candidaté à cette formation."))
    centre = formation.commission.centre
    if centre.nb_max_voeux:
        count = (live_candidatures(candidat).join(Formation).join(Commission)
                 .where(Commission.centre == centre.id).count())
        if count >= centre.nb_max_voeux:
            raise WorkflowError(_l(
                "Vous avez atteint le nombre maximum de %(n)s candidatures pour le centre "
                "« %(centre)s ».", n=centre.nb_max_voeux, centre=centre.libelle))


def candidater(actor, candidat, formation, today=None):
    """Create a candidature (statut AT) and queue the CANDIDATURE mail.

    The preconditions are checked again with the candidate locked, so two
    submissions at once cannot pass the wish limit together."""
    if actor.kind == CANDIDAT and actor.id != candidat.id:
        raise WorkflowError(_l("Cette candidature n'est pas la vôtre."))
    check_can_apply(candidat, formation, today)
    accepted_at_once = formation.type_traitement == "AC"
    try:
        with write_transaction():
            lock_candidat(candidat)
            check_can_apply(candidat, formation, today)
            campagne = Campagne.active(today)
            candidature = Candidature.create(
                candidat=candidat, formation=formation, statut="AT",
                campagne=campagne.id if campagne else None,
                type_traitement="AC" if accepted_at_once else "AT",
                type_traitement_valide=accepted_at_once)
            record(actor.label, "candidater", candidature,
                   None, snapshot(candidature, STATUT_FIELDS))
            send(Mail("CANDIDATURE"), candidature)
    except IntegrityError:
        # Another database session created it meanwhile: the partial unique index kept one.
        raise WorkflowError(_l("Vous avez déjà candidaté à cette formation.")) from None
    return candidature


# --- transmettre, annuler --------------------------------------------------------

def transmettre(actor, candidature, today=None):
    """AT or IN → RE once everything is provided; mails STATUT_RE and the commission
    alert. The candidature keeps its own copy of the shared pieces it is sent with."""
    run("transmettre", actor, candidature, write=freeze_shared_pieces, today=today)
    return candidature


def annuler(actor, candidature, today=None):
    """Cancel for good (AT and no avis): its own pieces are deleted (their files once
    committed, unless another row still refers to them), shared pieces kept."""
    run("annuler", actor, candidature, write=_delete_own_pieces, today=today)
    return candidature


def _delete_own_pieces(candidature):
    own = PieceCandidat.select().where(PieceCandidat.candidature == candidature.id)
    names = [row.fichier for row in own]
    PieceCandidat.delete().where(PieceCandidat.candidature == candidature.id).execute()
    delete_files_after_commit(names)

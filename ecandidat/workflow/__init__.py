"""Every state change of a candidature: checks, one transaction, audit row, mails.

This is the only code that writes a candidature's statuses and what it contains.
Views (candidate pages, console) and jobs call these functions with the Actor who
acts, and show the WorkflowError messages.

- core: Actor, WorkflowError, write transactions and row locks, file cleanup;
- rules: the one table (action, actor kind) → allowed statuts, checks, effects;
- engine: applies a rule in one transaction (conditional write, audit, mails);
- queries: what is asked and provided, published avis, deadlines;
- content: pieces and answers (and the copies of shared pieces);
- transitions: candidater, transmettre, annuler;
- decision: Confirmation / Désistement, the liste complémentaire that moves by
  itself, the reminders and automatic désistement the jobs run;
- commission: the console users' actions (statut, type de traitement, pièces,
  avis and their validation, tags, manual dates, bloc-notes), on one
  candidature or a selection (all or nothing)."""
from ecandidat.workflow.content import (declarer_non_concerne, deposer_piece, repondre,
                                        supprimer_piece)
from ecandidat.workflow import commission, decision
from ecandidat.workflow.core import CANDIDAT, JOB, USER, Actor, WorkflowError
from ecandidat.workflow.queries import (candidatures_page, date_confirmation, date_retour,
                                        last_avis_by_candidature, live_candidatures,
                                        piece_rows, pieces_asked, published_avis,
                                        published_avis_by_candidature, question_rows)
from ecandidat.workflow.engine import BulkRefused
from ecandidat.workflow.rules import (RULES, Rule, in_reach, may, refusals,
                                      refusals_by_action)
from ecandidat.workflow.transitions import annuler, candidater, transmettre

__all__ = [
    "BulkRefused", "CANDIDAT", "JOB", "USER", "Actor", "RULES", "commission", "decision", "Rule", "WorkflowError", "annuler",
    "candidater", "date_confirmation", "date_retour", "declarer_non_concerne", "deposer_piece",
    "candidatures_page", "last_avis_by_candidature", "live_candidatures", "may", "piece_rows",
    "pieces_asked",
    "published_avis", "published_avis_by_candidature", "question_rows", "refusals",
    "refusals_by_action", "in_reach", "repondre", "supprimer_piece", "transmettre",
]

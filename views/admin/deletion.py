"""Deleting from the console: what candidatures use is never deleted.

Flask-Admin's peewee backend deletes with ``delete_instance(recursive=True)``:
deleting a formation would silently take its candidatures and avis with it,
and null the scope of its pieces (turning them into pieces asked of every
formation). Here a row is deleted only when nothing depends on it: rows that
candidate data reaches (directly or through the catalogue) are refused with
a French message suggesting to deactivate them; other dependents (a
formation's pieces…) are named so they can be handled first. Link rows
declared ``on_delete="CASCADE"`` (commission members, centre managers) go
with the row. Each deletion writes an audit row with the values before."""
import datetime
from collections import Counter

from flask_babel import gettext as _, lazy_gettext as _l
from peewee import IntegrityError

from ecandidat import clock
from ecandidat.audit import record
from ecandidat.db import write_transaction
from ecandidat.models import (Avis, Campagne, Candidature, CandidatureTag, Centre, Commission,
                              Formation, MotivationAvis, PieceCandidat, PieceJustificative,
                              Question, ReponseQuestion, TypeDiplome)

# Rows that belong to candidatures: reaching one of them means "used by candidates".
# A tag put on a candidature counts too: deleting the tag would take it off (its
# link row cascades), so a used tag is refused like a used motivation or type de
# décision (an avis names them).
CANDIDATE_DATA = (Candidature, PieceCandidat, ReponseQuestion, Avis, CandidatureTag)
# Catalogue rows the search walks through (an acyclic chain: centre → commission →
# formation → pièce/question), so a centre is "used" when a candidature of one of
# its formations exists, or a candidate answered one of its pieces or questions.
WALK_THROUGH = (Centre, Commission, Formation, PieceJustificative, Question, MotivationAvis,
                TypeDiplome)
# References that do not make the referencing row part of the referenced one: a
# formation naming a type de décision as its favourable decision does not make the
# formation's candidatures users of that type (the formation itself is named as
# a row to handle first; the avis that recorded the type are candidate data).
NOT_WALKED = (Formation.type_decision_fav, Formation.type_decision_fav_lc)

# (singular, plural) of each kind of dependent row, for the messages.
KIND_NAMES = {
    "candidature": (_l("candidature"), _l("candidatures")),
    "piece_candidat": (_l("pièce déposée par un candidat"),
                       _l("pièces déposées par des candidats")),
    "reponse_question": (_l("réponse de candidat"), _l("réponses de candidats")),
    "avis": (_l("avis"), _l("avis")),
    "commission": (_l("commission"), _l("commissions")),
    "formation": (_l("formation"), _l("formations")),
    "piece_justificative": (_l("pièce justificative"), _l("pièces justificatives")),
    "question": (_l("question"), _l("questions")),
    "motivation_avis": (_l("motif d'avis"), _l("motifs d'avis")),
    "candidat": (_l("candidat"), _l("candidats")),
    "candidature_tag": (_l("candidature portant ce tag"), _l("candidatures portant ce tag")),
    "tag": (_l("tag"), _l("tags")),
    "type_decision": (_l("type de décision"), _l("types de décision")),
}

# The flag that takes a row out of use without deleting it, with its console label.
DEACTIVATE_FIELDS = (("actif", _l("Actif")), ("en_service", _l("En service")))


class DeleteRefused(Exception):
    """A deletion refused, with its French reason."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def candidate_uses(instance):
    """Counter {table name: rows} of candidate data that reaches `instance`."""
    counts = Counter()
    model = type(instance)
    start = model.select(model._meta.primary_key).where(model._meta.primary_key == instance._pk)
    _walk(model, start, counts)
    if isinstance(instance, Campagne):
        # No foreign key ties a candidature to its campaign: its period does.
        used = _campagne_candidatures(instance)
        if used:
            counts["candidature"] += used
    return counts


def _walk(model, ids, counts):
    for field, referencing in model._meta.backrefs.items():
        rows = referencing.select(referencing._meta.primary_key).where(field.in_(ids))
        if any(field is other for other in NOT_WALKED):  # peewee's == builds SQL
            continue
        if referencing in CANDIDATE_DATA:
            found = rows.count()
            if found:
                counts[referencing._meta.table_name] += found
        elif referencing in WALK_THROUGH:
            _walk(referencing, rows, counts)


def _campagne_candidatures(campagne):
    start = datetime.datetime.combine(campagne.date_debut, datetime.time(), clock.zone())
    end = datetime.datetime.combine(campagne.date_fin + datetime.timedelta(days=1),
                                    datetime.time(), clock.zone())
    return Candidature.select().where(Candidature.created_at >= start,
                                      Candidature.created_at < end).count()


def other_dependents(instance):
    """Counter {table name: rows} of rows pointing at `instance` that a deletion
    would break (cascading link rows excepted)."""
    counts = Counter()
    for field, referencing in type(instance)._meta.backrefs.items():
        if (field.on_delete or "").upper() == "CASCADE":
            continue
        found = referencing.select().where(field == instance._pk).count()
        if found:
            counts[referencing._meta.table_name] += found
    return counts


def describe(counts):
    """"3 candidatures, 1 avis" from a Counter of table names."""
    parts = []
    for table, count in counts.items():
        singular, plural = KIND_NAMES.get(table, (table, table))
        parts.append(f"{count} {singular if count == 1 else plural}")
    return ", ".join(parts)


def _deactivate_field(instance):
    """The console label of the flag that takes `instance` out of use, or None."""
    return next((label for name, label in DEACTIVATE_FIELDS
                 if name in type(instance)._meta.fields), None)


def _deactivate_hint(instance):
    label = _deactivate_field(instance)
    if label is None:
        return _("Conservez-le : l'historique des candidatures en dépend.")
    return _("Désactivez-le plutôt (décochez « %(champ)s ») : il ne sera plus proposé "
             "et l'historique reste intact.", champ=label)


def delete_problem(instance):
    """The French reason why `instance` may not be deleted, or None."""
    uses = candidate_uses(instance)
    if uses:
        return _("« %(nom)s » ne peut pas être supprimé : des candidatures l'utilisent "
                 "(%(usages)s). %(conseil)s", nom=str(instance), usages=describe(uses),
                 conseil=_deactivate_hint(instance))
    others = other_dependents(instance)
    if others:
        hint = (_("Désactivez-le, ou supprimez d'abord ces éléments.")
                if _deactivate_field(instance) else _("Supprimez d'abord ces éléments."))
        return _("« %(nom)s » ne peut pas être supprimé : il est encore utilisé par "
                 "%(usages)s. %(conseil)s", nom=str(instance), usages=describe(others),
                 conseil=hint)
    return None


def delete_row(instance, actor):
    """Delete `instance` alone (never recursively) with its audit row, or raise
    DeleteRefused. Cascading link rows are removed in the same transaction."""
    try:
        with write_transaction():
            problem = delete_problem(instance)
            if problem:
                raise DeleteRefused(problem)
            before = dict(instance.__data__)  # raw column values, foreign keys as ids
            for field, referencing in type(instance)._meta.backrefs.items():
                if (field.on_delete or "").upper() == "CASCADE":
                    referencing.delete().where(field == instance._pk).execute()
            record(actor, "console_suppression", instance, before, None)
            instance.delete_instance(recursive=False)
    except IntegrityError:
        # A row pointing at it was written between the check and the delete: the
        # database's foreign key refused, and nothing was deleted.
        raise DeleteRefused(_("« %(nom)s » vient d'être utilisé ailleurs : il n'a pas été "
                              "supprimé.", nom=str(instance))) from None

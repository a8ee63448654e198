"""The console's Candidatures list (issue 8 §3): its columns' cells, its filters
and the SVA alert.

Every filter narrows the view's query, which is already the user's scope
(ecandidat.permissions): a filter value naming something outside it matches
nothing. Those on the avis and the tags use a subquery and name a Candidature
column, so that Flask-Admin joins nothing that would repeat a row. The options
of the formation and tag filters depend on who looks: they are read per request
(`ScopedOptions`), never at start-up."""
import datetime
import re

from flask import current_app, g, url_for
from flask_admin.contrib.peewee.filters import (BasePeeweeFilter, BooleanEqualFilter,
                                                FilterEqual)
from flask_admin.model import filters
from flask_babel import format_datetime, lazy_gettext as _l
from markupsafe import Markup
from peewee import fn

from ecandidat import clock, codes, permissions
from ecandidat.models import Avis, Candidature, CandidatureTag, Centre, Formation
from ecandidat.workflow import commission

# Statuts du dossier a transmitted candidature may wait in (SVA: silence vaut acceptation).
SVA_STATUTS = ("RE", "IN")
DEFAULT_SVA_ALERT_DAYS = 30
TAG_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


# --- Cells ---------------------------------------------------------------------------------

def code_label(codes_set):
    return lambda view, context, model, name: codes_set.label(getattr(model, name))


def numero(view, context, model, name):
    value = model.candidat.compte.numero_dossier
    return Markup('<a href="{url}" title="{title}">{numero}</a>').format(
        url=url_for(".details_view", id=model.id), numero=value,
        title=_l("Ouvrir la candidature %(numero)s", numero=value))


def traitement(view, context, model, name):
    label = codes.TYPE_TRAITEMENT.label(model.type_traitement)
    state = _l("validé") if model.type_traitement_valide else _l("non validé")
    return f"{label} ({state})"


def dernier_avis(view, context, model, name):
    avis = g.get("last_avis", {}).get(model.id)
    if avis is None:
        return ""
    state = _l("validé") if avis.valide else _l("non validé")
    return f"{codes.TYPE_AVIS.label(avis.type_avis)} ({state})"


def tag_badges(tags):
    """Tags as labels with their colour as a border (the text keeps its contrast)."""
    return Markup(" ").join(
        Markup('<span class="console-tag" style="border-left-color: {colour}">{label}</span>')
        .format(colour=tag.couleur if TAG_COLOUR.match(tag.couleur or "") else "#1f5fa8",
                label=tag.libelle) for tag in tags)


def tags(view, context, model, name):
    return tag_badges(g.get("tags", {}).get(model.id, []))


def sva_days():
    return int(current_app.config.get("SVA_ALERT_DAYS") or DEFAULT_SVA_ALERT_DAYS)


def sva_alert(candidature, now=None):
    """Whether the candidature was transmitted more than SVA_ALERT_DAYS days ago and
    still waits (Réceptionné or Incomplet)."""
    if candidature.statut not in SVA_STATUTS or candidature.date_transmission is None:
        return False
    now = now or clock.now()
    return candidature.date_transmission < now - datetime.timedelta(days=sva_days())


def transmission(view, context, model, name):
    """The date de transmission; past the SVA delay, marked (the row takes the alert
    colour, static/css/console.css) with a text saying why."""
    value = model.date_transmission
    if value is None:
        return ""
    shown = format_datetime(value, "dd/MM/yyyy HH:mm")
    if not sva_alert(model, g.get("list_now")):
        return shown
    return Markup('<span class="sva-alert" title="{why}">{date} <span class="sva-flag">'
                  '{label}</span></span>').format(
        date=shown, label=_l("Alerte SVA"),
        why=_l("Transmise depuis plus de %(n)s jours et toujours en attente de traitement.",
               n=sva_days()))


# --- Filters -------------------------------------------------------------------------------

class ScopedOptions:
    """A filter whose options depend on the user: `scoped_options()` is read per request."""

    def scoped_options(self):
        raise NotImplementedError


class FormationFilter(ScopedOptions, FilterEqual, filters.BaseIntFilter):
    def __init__(self):
        super().__init__(Candidature.formation, _l("Formation"))

    def scoped_options(self):
        from views.admin.base import current_scope
        query = permissions.visible_formations(
            current_scope(), Formation.select(Formation.id, Formation.code, Formation.libelle))
        return [(str(f.id), f"{f.code} — {f.libelle}") for f in query.order_by(Formation.libelle)]

    def operation(self):
        return _l("est")


class TagFilter(ScopedOptions, BasePeeweeFilter, filters.BaseIntFilter):
    def __init__(self):
        super().__init__(Candidature.id, _l("Tag"))

    def apply(self, query, value):
        return query.where(Candidature.id.in_(
            CandidatureTag.select(CandidatureTag.candidature).where(CandidatureTag.tag == value)))

    def scoped_options(self):
        from views.admin.base import current_scope
        centres = permissions.visible_centres(current_scope(), Centre.select(Centre.id))
        return [(str(tag.id), tag.libelle)
                for tag in commission.tags_for({c.id for c in centres})]

    def operation(self):
        return _l("est")


def _last_avis():
    """The candidatures' last avis (no later avis of the same candidature)."""
    later = Avis.alias()
    return Avis.select(Avis.candidature).where(~fn.EXISTS(
        later.select(later.id).where(later.candidature == Avis.candidature,
                                     later.id > Avis.id)))


NO_AVIS = "AUCUN"


class DernierAvisFilter(BasePeeweeFilter):
    def __init__(self):
        super().__init__(Candidature.id, _l("Dernier avis"),
                         options=[*codes.TYPE_AVIS.choices(), (NO_AVIS, _l("Aucun avis"))])

    def validate(self, value):
        return value in codes.TYPE_AVIS or value == NO_AVIS

    def apply(self, query, value):
        if value == NO_AVIS:
            return query.where(~fn.EXISTS(Avis.select(Avis.id).where(
                Avis.candidature == Candidature.id)))
        return query.where(Candidature.id.in_(_last_avis().where(Avis.type_avis == value)))

    def operation(self):
        return _l("est")


class DernierAvisValideFilter(BasePeeweeFilter, filters.BaseBooleanFilter):
    def __init__(self):
        super().__init__(Candidature.id, _l("Dernier avis validé"))

    def apply(self, query, value):
        return query.where(Candidature.id.in_(_last_avis().where(Avis.valide == (value == "1"))))

    def operation(self):
        return _l("est")


NO_CONFIRMATION = "AUCUNE"


class ConfirmationFilter(BasePeeweeFilter):
    def __init__(self):
        super().__init__(Candidature.confirmation, _l("Confirmation"), options=[
            *codes.CONFIRMATION.choices(), (NO_CONFIRMATION, _l("Sans réponse"))])

    def validate(self, value):
        return value in codes.CONFIRMATION or value == NO_CONFIRMATION

    def apply(self, query, value):
        if value == NO_CONFIRMATION:
            return query.where(Candidature.confirmation.is_null())
        return query.where(Candidature.confirmation == value)

    def operation(self):
        return _l("est")


def _day_start(day):
    """Midnight (in the institution's zone) starting `day`, as a UTC instant."""
    start = datetime.datetime.combine(day, datetime.time(0), tzinfo=clock.zone())
    return start.astimezone(datetime.timezone.utc)


class TransmisDepuisFilter(BasePeeweeFilter, filters.BaseDateFilter):
    def __init__(self):
        super().__init__(Candidature.date_transmission, _l("Date de transmission"))

    def apply(self, query, value):
        return query.where(Candidature.date_transmission >= _day_start(value))

    def operation(self):
        return _l("à partir du")


class TransmisJusquauFilter(TransmisDepuisFilter):
    def apply(self, query, value):
        return query.where(Candidature.date_transmission
                           < _day_start(value + datetime.timedelta(days=1)))

    def operation(self):
        return _l("jusqu'au")


class SvaFilter(BasePeeweeFilter, filters.BaseBooleanFilter):
    def __init__(self):
        super().__init__(Candidature.date_transmission, _l("Alerte SVA"))

    def apply(self, query, value):
        late = (Candidature.statut.in_(SVA_STATUTS)
                & (Candidature.date_transmission
                   < clock.now() - datetime.timedelta(days=sva_days())))
        return query.where(late if value == "1" else ~late)

    def operation(self):
        return _l("est")


def column_filters():
    return (
        FilterEqual(Candidature.statut, _l("Statut du dossier"),
                    options=codes.STATUT_DOSSIER.choices()),
        Formation.libelle,
        FilterEqual(Candidature.type_traitement, _l("Type de traitement"),
                    options=codes.TYPE_TRAITEMENT.choices()),
        BooleanEqualFilter(Candidature.type_traitement_valide, _l("Type de traitement validé")),
        DernierAvisFilter(),
        DernierAvisValideFilter(),
        ConfirmationFilter(),
        TransmisDepuisFilter(),
        TransmisJusquauFilter(),
        FormationFilter(),
        TagFilter(),
        SvaFilter(),
    )


def with_scoped_options(view, groups):
    """Flask-Admin's filter groups (computed at start-up) with the options of the
    ScopedOptions filters read for the current user."""
    if not groups:
        return groups
    for entries in groups.values():
        for entry in entries:
            flt = view._filters[entry["index"]]
            if isinstance(flt, ScopedOptions):
                entry["options"] = flt.scoped_options()
    return groups

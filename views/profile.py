"""Mon compte: the candidate's file, screen by screen (routes only; rules in
ecandidat.profile, field checks in forms.profile)."""
from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from ecandidat import profile
from ecandidat.codes import CIVILITE, CURSUS_OBTENU
from ecandidat.models import CursusExterne, ExperiencePro, Stage
from forms.profile import (AdresseForm, BacForm, CursusExterneForm, ExperienceForm,
                           InfosPersoForm, StageForm)
from views import form_view
from views.helpers import candidate_required, current_candidat, signed_in_compte
from views.templating import rendered_once

bp = Blueprint("profile", __name__, url_prefix="/mon-compte")

# The wizard's order: "Suivant" leads from each screen to the next one.
WIZARD = ("profile.infos_perso", "profile.adresse", "profile.bac", "profile.cursus_externe",
          "profile.stages", "profile.experiences")


def next_url(endpoint):
    """The screen after ``endpoint`` in the wizard; Mon compte after the last one."""
    position = WIZARD.index(endpoint) + 1
    return url_for(WIZARD[position] if position < len(WIZARD) else "profile.summary")


def _form(form_class, stored_values):
    """A form bound to the request on POST, else filled with the stored values."""
    if request.method == "POST":
        return form_class()
    return form_class(data=stored_values())


def _saved(form, save, message):
    """Validate and save a posted form; True once saved (and ``message`` flashed).

    "Actualiser les listes" (name="refresh") only re-renders: no check, no save."""
    if request.method != "POST" or "refresh" in request.form or not form.validate():
        return False
    try:
        save(form.values())
    except profile.ProfileError as error:
        form.add_errors(error.errors)
        return False
    flash(message, "success")
    return True


def _render(template, form, **context):
    form.load_choices()
    return render_template(template, form=form, **context)


@bp.route("/")
@candidate_required
def summary():
    state = profile.completeness(current_candidat())
    return render_template("profile/summary.html", compte=signed_in_compte(), sections=(
        rendered_once("profile/_summary_sections.html", state, lambda: {"state": state})))


@bp.route("/informations-personnelles", methods=("GET", "POST"))
@form_view
@candidate_required
def infos_perso():
    """Editable until a candidature exists, then shown read-only (403 on POST)."""
    candidat = current_candidat()
    if profile.is_frozen(candidat):
        status = 403 if request.method == "POST" else 200
        return render_template("profile/infos_perso_frozen.html",
                               candidat=profile.identity(candidat),
                               civilite_label=CIVILITE.label,
                               next_url=next_url("profile.infos_perso")), status
    form = _form(InfosPersoForm, lambda: profile.infos_perso_values(candidat))
    if _saved(form, lambda values: profile.save_infos_perso(candidat, values),
              _("Vos informations personnelles ont été enregistrées.")):
        return redirect(next_url("profile.infos_perso"))
    return _render("profile/infos_perso.html", form)


@bp.route("/adresse", methods=("GET", "POST"))
@form_view
@candidate_required
def adresse():
    candidat = current_candidat()
    form = _form(AdresseForm, lambda: profile.adresse_values(candidat))
    if _saved(form, lambda values: profile.save_adresse(candidat, values),
              _("Votre adresse a été enregistrée.")):
        return redirect(next_url("profile.adresse"))
    return _render("profile/adresse.html", form)


@bp.route("/baccalaureat", methods=("GET", "POST"))
@form_view
@candidate_required
def bac():
    candidat = current_candidat()
    form = _form(BacForm, lambda: profile.bac_values(candidat))
    if _saved(form, lambda values: profile.save_bac(candidat, values),
              _("Votre baccalauréat a été enregistré.")):
        return redirect(next_url("profile.bac"))
    return _render("profile/bac.html", form, lycee=profile.LYCEE)


@bp.route("/cursus-interne")
@candidate_required
def cursus_interne():
    return render_template("profile/cursus_interne.html",
                           rows=profile.cursus_internes(current_candidat()))


# --- Cursus externe, Stages, Expériences pro.: list, add, edit, delete ---------------------

@dataclass(frozen=True)
class Entries:
    """One kind of list entry of the file, with its texts."""
    endpoint: str  # the list's endpoint; add/edit/delete are <endpoint>_new, _edit, _delete
    model: type
    form: type
    fields: tuple
    save: Callable
    template: str
    title_new: str
    title_edit: str
    saved: str
    deleted: str
    describe: Callable  # a short text naming one entry, for the delete confirmation


CURSUS = Entries(
    "profile.cursus_externe", CursusExterne, CursusExterneForm, profile.CURSUS_FIELDS,
    profile.save_cursus_externe, "profile/cursus_externe_form.html",
    _l("Saisie d'un nouveau cursus post-baccalauréat"),
    _l("Modification d'un cursus post-baccalauréat"),
    _l("Le cursus a été enregistré."), _l("Le cursus a été supprimé."),
    lambda entry: f"{entry.annee} — {entry.libelle}")
STAGES = Entries(
    "profile.stages", Stage, StageForm, profile.STAGE_FIELDS, profile.save_stage,
    "profile/entry_form.html", _l("Saisie d'un nouveau stage"),
    _l("Modification d'un stage"), _l("Le stage a été enregistré."),
    _l("Le stage a été supprimé."), lambda entry: f"{entry.annee} — {entry.employeur}")
EXPERIENCES = Entries(
    "profile.experiences", ExperiencePro, ExperienceForm, profile.EXPERIENCE_FIELDS,
    profile.save_experience, "profile/entry_form.html",
    _l("Saisie d'une nouvelle expérience professionnelle"),
    _l("Modification d'une expérience professionnelle"),
    _l("L'expérience professionnelle a été enregistrée."),
    _l("L'expérience professionnelle a été supprimée."),
    lambda entry: f"{entry.annee} — {entry.intitule}")


def _owned_or_404(kind, entry_id):
    """The candidate's entry ``entry_id``; 404 when missing or someone else's."""
    candidat = current_candidat()
    entry = profile.owned(kind.model, candidat, entry_id)
    if entry is None:
        abort(404)
    return candidat, entry


def _edit_entry(kind, entry_id=None):
    """Add (``entry_id`` None) or edit an entry; back to the list once saved."""
    if entry_id is None:
        candidat, entry = current_candidat(), None
    else:
        candidat, entry = _owned_or_404(kind, entry_id)
    form = _form(kind.form, lambda: profile.entry_values(entry, kind.fields) if entry else None)
    if _saved(form, lambda values: kind.save(candidat, values, entry), kind.saved):
        return redirect(url_for(kind.endpoint))
    return _render(kind.template, form, kind=kind, entry=entry)


def _delete_entry(kind, entry_id):
    """GET asks for confirmation (works without JavaScript); POST deletes."""
    _candidat, entry = _owned_or_404(kind, entry_id)
    if request.method == "POST":
        profile.delete_entry(entry)
        flash(kind.deleted, "success")
        return redirect(url_for(kind.endpoint))
    return render_template("profile/confirm_delete.html", kind=kind, entry=entry)


@bp.route("/cursus-externe")
@candidate_required
def cursus_externe():
    return render_template("profile/cursus_externe.html", kind=CURSUS,
                           rows=profile.cursus_externes(current_candidat()),
                           obtenu_label=CURSUS_OBTENU.label,
                           next_url=next_url("profile.cursus_externe"))


@bp.route("/cursus-externe/nouveau", methods=("GET", "POST"))
@form_view
@candidate_required
def cursus_externe_new():
    return _edit_entry(CURSUS)


@bp.route("/cursus-externe/<int:entry_id>/modifier", methods=("GET", "POST"))
@form_view
@candidate_required
def cursus_externe_edit(entry_id):
    return _edit_entry(CURSUS, entry_id)


@bp.route("/cursus-externe/<int:entry_id>/supprimer", methods=("GET", "POST"))
@candidate_required
def cursus_externe_delete(entry_id):
    return _delete_entry(CURSUS, entry_id)


@bp.route("/stages")
@candidate_required
def stages():
    return render_template("profile/stages.html", kind=STAGES,
                           rows=profile.stages(current_candidat()),
                           next_url=next_url("profile.stages"))


@bp.route("/stages/nouveau", methods=("GET", "POST"))
@form_view
@candidate_required
def stages_new():
    return _edit_entry(STAGES)


@bp.route("/stages/<int:entry_id>/modifier", methods=("GET", "POST"))
@form_view
@candidate_required
def stages_edit(entry_id):
    return _edit_entry(STAGES, entry_id)


@bp.route("/stages/<int:entry_id>/supprimer", methods=("GET", "POST"))
@candidate_required
def stages_delete(entry_id):
    return _delete_entry(STAGES, entry_id)


@bp.route("/experiences-pro")
@candidate_required
def experiences():
    return render_template("profile/experiences.html", kind=EXPERIENCES,
                           rows=profile.experiences(current_candidat()))


@bp.route("/experiences-pro/nouvelle", methods=("GET", "POST"))
@form_view
@candidate_required
def experiences_new():
    return _edit_entry(EXPERIENCES)


@bp.route("/experiences-pro/<int:entry_id>/modifier", methods=("GET", "POST"))
@form_view
@candidate_required
def experiences_edit(entry_id):
    return _edit_entry(EXPERIENCES, entry_id)


@bp.route("/experiences-pro/<int:entry_id>/supprimer", methods=("GET", "POST"))
@candidate_required
def experiences_delete(entry_id):
    return _delete_entry(EXPERIENCES, entry_id)

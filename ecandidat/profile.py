"""The candidate's file ("Mon compte"): rules, checks and saves, section by section.

Callers pass plain values (strings, dates, ints; referential rows by code) keyed by
the model's field names. Every ``save_*`` function checks the whole section first and
raises ``ProfileError`` (one French message per field) before writing anything; then
it writes in one transaction. The lists at the end feed both the forms' choices and
the JSON endpoints of the dependent lists.
"""
import re
import unicodedata
from collections import namedtuple
from dataclasses import dataclass

from flask_babel import gettext as _, lazy_gettext as _l
from peewee import JOIN, fn

from ecandidat import clock, dossiers
from ecandidat.codes import CIVILITE, CURSUS_OBTENU
from ecandidat.db import PreparedSelect, database
from ecandidat.models import (Adresse, BacMention, BacSerie, BacSpecialite, Candidat,
                              CandidatBac, CandidatBacSpecialite, Candidature, Commune,
                              CommuneCodePostal, CursusExterne, CursusInterne, CursusType,
                              Departement, Etablissement, ExperiencePro, Pays, Stage)
from ecandidat.models.referential import FRANCE

LYCEE = "LYC"  # Etablissement.type of a lycée, where a bac is obtained

INFOS_PERSO_FIELDS = (
    "nationalite", "ine", "cle_ine", "civilite", "nom_patronymique", "nom_usuel", "prenom",
    "autre_prenom", "date_naissance", "pays_naissance", "departement_naissance",
    "commune_naissance", "ville_naissance", "telephone", "telephone_portable")
ADRESSE_FIELDS = ("pays", "code_postal", "commune", "ville_etrangere", "adresse1",
                  "adresse2", "adresse3", "cedex")
BAC_FIELDS = ("annee_obtention", "serie", "mention", "pays", "departement", "commune",
              "etablissement")
SPECIALITE_KEYS = ("specialite1", "specialite2")  # the two spécialités of terminale
CURSUS_FIELDS = ("annee", "pays", "departement", "commune", "etablissement",
                 "etablissement_libelle", "cursus_type", "libelle", "niveau", "obtenu",
                 "mention")
STAGE_FIELDS = ("annee", "duree", "heures_semaine", "employeur", "descriptif")
EXPERIENCE_FIELDS = ("annee", "intitule", "duree", "employeur", "descriptif")

INE_CHARACTERS = re.compile(r"^[0-9A-Z]+$")
POSTAL_CODE = re.compile(r"^[0-9]{5}$")
DEPARTEMENT_CODE = re.compile(r"^[0-9AB]{2,3}$")
COMMUNE_CODE = re.compile(r"^[0-9AB]{5}$")

# The largest département has under 900 communes; a postal code serves a few dozen.
MAX_COMMUNES = 1000
MAX_COMMUNES_PER_POSTAL_CODE = 100
MAX_ETABLISSEMENTS = 500
MAX_REFERENTIAL_ROWS = 300  # countries, départements, bac series…

PLACEHOLDER_MESSAGES = {
    "pays": _l("Choisissez un pays dans la liste."),
    "departement": _l("Choisissez un département dans la liste."),
    "commune": _l("Choisissez une commune dans la liste."),
}

# Field names of a place (country, then in France a département and a commune).
Place = namedtuple("Place", "pays departement commune")
BIRTH_PLACE = Place("pays_naissance", "departement_naissance", "commune_naissance")
PLACE = Place("pays", "departement", "commune")


class ProfileError(ValueError):
    """A section breaks a rule; ``errors`` maps each faulty field to its message."""

    def __init__(self, errors):
        super().__init__("; ".join(str(m) for m in errors.values()))
        self.errors = errors


class ProfileFrozen(PermissionError):
    """Personal information may no longer be changed by the candidate."""


# --- Rules ---------------------------------------------------------------------------

def normalize_ine(value):
    """What was typed in an INE field, upper-cased and without spaces (None if empty)."""
    if not value:
        return None
    return "".join(str(value).split()).upper() or None


def ine_errors(ine, cle, required):
    """Messages for an INE and its clé (SPEC §4.2), both already normalized.

    11 characters in all, digits and upper-case letters: an INE of 9 or 10 and a clé
    of 1 or 2. There is no public checksum, so only the format is checked."""
    if not ine and not cle:
        if not required:
            return {}
        return {"ine": _("L'INE est obligatoire pour les candidats de nationalité française. "
                         "Vous le trouverez sur votre relevé de notes du baccalauréat."),
                "cle_ine": _("La clé INE est obligatoire pour les candidats de nationalité "
                             "française.")}
    errors = {}
    if not ine:
        errors["ine"] = _("Saisissez votre INE.")
    elif not INE_CHARACTERS.match(ine) or not 9 <= len(ine) <= 10:
        errors["ine"] = _("L'INE compte 9 ou 10 caractères, chiffres et lettres majuscules "
                          "(par exemple 1234567890 ou 123456789).")
    if not cle:
        errors["cle_ine"] = _("Saisissez la clé de votre INE.")
    elif not INE_CHARACTERS.match(cle) or not 1 <= len(cle) <= 2:
        errors["cle_ine"] = _("La clé INE compte 1 ou 2 caractères, chiffres ou lettres "
                              "majuscules (par exemple A ou AB).")
    if not errors and len(ine) + len(cle) != 11:
        errors["cle_ine"] = _("L'INE et sa clé comptent 11 caractères en tout : par exemple "
                              "1234567890 et A, ou 123456789 et AB.")
    return errors


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def birth_date_error(date_naissance, today=None):
    """The message for a birth date outside [100 years ago, 10 years ago], else None."""
    today = today or clock.today()
    oldest, youngest = _years_before(today, 100), _years_before(today, 10)
    if oldest <= date_naissance <= youngest:
        return None
    return _("La date de naissance doit être comprise entre le %(debut)s et le %(fin)s.",
             debut=oldest.strftime("%d/%m/%Y"), fin=youngest.strftime("%d/%m/%Y"))


def is_frozen(candidat):
    """True once the candidate has a non-cancelled candidature: from then on only a
    manager may change the personal information."""
    return (Candidature.select()
            .where((Candidature.candidat == candidat.id)
                   & Candidature.date_annulation.is_null())
            .exists())


@dataclass(frozen=True)
class Completeness:
    """Which sections of the file are filled (counts for the lists)."""
    infos_perso: bool
    adresse: bool
    bac: bool
    cursus_interne: int
    cursus_externe: int
    stages: int
    experiences: int

    REQUIRED = ("infos_perso", "adresse", "bac")  # needed before applying

    @property
    def missing(self):
        return [name for name in self.REQUIRED if not getattr(self, name)]

    @property
    def ready_to_apply(self):
        return not self.missing


def _infos_perso_complete(candidat):
    born_in_france = candidat.pays_naissance_id == FRANCE
    birth_place = candidat.commune_naissance_id if born_in_france else candidat.ville_naissance
    ine = candidat.ine and candidat.cle_ine if candidat.nationalite_id == FRANCE else True
    return all((candidat.civilite, candidat.nom_patronymique, candidat.prenom,
                candidat.date_naissance, candidat.pays_naissance_id, candidat.nationalite_id,
                birth_place, ine))


def _count(model):
    return model.select(fn.COUNT(model.id)).where(model.candidat == Candidat.id)


# Mon compte reads it on every display: prepared once (ecandidat.db.PreparedSelect).
COMPLETENESS = PreparedSelect(lambda candidat_id: (
    Candidat
    .select(Adresse.adresse1.alias("adresse1"), Adresse.commune.alias("commune"),
            Adresse.ville_etrangere.alias("ville"), CandidatBac.serie.alias("serie"),
            _count(CursusInterne).alias("cursus_interne"),
            _count(CursusExterne).alias("cursus_externe"),
            _count(Stage).alias("stages"), _count(ExperiencePro).alias("experiences"))
    .join_from(Candidat, Adresse, JOIN.LEFT_OUTER)
    .join_from(Candidat, CandidatBac, JOIN.LEFT_OUTER)
    .where(Candidat.id == candidat_id)
    .limit(1).dicts()))


def completeness(candidat):
    """The Completeness of ``candidat``'s file, read in one query."""
    row = COMPLETENESS.first(candidat.id)
    if row is None:  # deleted meanwhile (Supprimer mon compte in another tab): nothing is filled
        return Completeness(infos_perso=False, adresse=False, bac=False, cursus_interne=0,
                            cursus_externe=0, stages=0, experiences=0)
    return Completeness(
        infos_perso=_infos_perso_complete(candidat),
        adresse=bool(row["adresse1"] and (row["commune"] or row["ville"])),
        bac=row["serie"] is not None,
        cursus_interne=row["cursus_interne"], cursus_externe=row["cursus_externe"],
        stages=row["stages"], experiences=row["experiences"])


# --- Checks shared by the sections -------------------------------------------------------

def _clean(values, names):
    """The ``names`` of ``values``, strings stripped and blanks turned into None."""
    cleaned = {}
    for name in names:
        value = values.get(name)
        if isinstance(value, str):
            value = value.strip() or None
        cleaned[name] = value
    return cleaned


def _lookup(model, code, field, errors, message):
    """The ``model`` row whose key is ``code``; None, with ``message`` on ``field``,
    when the code is missing or unknown."""
    row = model.get_or_none(model._meta.primary_key == code) if code else None
    if row is None:
        errors[field] = message
    return row


def _check_place(values, errors, keys):
    """Resolve a country and, in France, a département and one of its communes.

    Returns a Place of rows; the French parts are None abroad, whatever was sent."""
    pays = _lookup(Pays, values[keys.pays], keys.pays, errors, PLACEHOLDER_MESSAGES["pays"])
    if pays is None or pays.code != FRANCE:
        return Place(pays, None, None)
    departement = _lookup(Departement, values[keys.departement], keys.departement, errors,
                          PLACEHOLDER_MESSAGES["departement"])
    commune = _lookup(Commune, values[keys.commune], keys.commune, errors,
                      PLACEHOLDER_MESSAGES["commune"])
    if departement and commune and commune.departement_id != departement.code:
        errors[keys.commune] = _("Cette commune n'est pas dans le département choisi.")
    return Place(pays, departement, commune)


def _check_etablissement(code, commune, errors, required):
    """The établissement ``code``, which must lie in ``commune``."""
    if not code and not required:
        return None
    etablissement = _lookup(Etablissement, code, "etablissement", errors,
                            _("Choisissez un établissement dans la liste."))
    if etablissement and commune and etablissement.commune_id != commune.code_insee:
        errors["etablissement"] = _("Cet établissement n'est pas situé dans la commune choisie.")
    return etablissement


def _require(values, field, errors, message):
    if values[field] is None:
        errors[field] = message


def _assign(row, fields):
    for name, value in fields.items():
        setattr(row, name, value)


# --- Informations perso. -----------------------------------------------------------------

def infos_perso_values(candidat):
    """The stored personal information, keyed and coded as save_infos_perso expects."""
    return {name: candidat.__data__.get(name) for name in INFOS_PERSO_FIELDS}


def _check_identity(values, errors, today):
    """Civilité, names and birth date."""
    if values["civilite"] not in CIVILITE:
        errors["civilite"] = _("Choisissez votre civilité.")
    for name in ("nom_patronymique", "prenom"):
        _require(values, name, errors, _("Ce champ est obligatoire."))
    if values["date_naissance"] is None:
        errors["date_naissance"] = _("Saisissez votre date de naissance.")
    else:
        error = birth_date_error(values["date_naissance"], today)
        if error:
            errors["date_naissance"] = error


def save_infos_perso(candidat, values, today=None):
    """Check and store ``candidat``'s personal information.

    Raises ProfileFrozen once a candidature exists, ProfileError when a rule is broken
    (INE format or missing for a French national, birth date out of range, birth
    commune outside the chosen département…); nothing is written then."""
    if is_frozen(candidat):
        raise ProfileFrozen(_("Vos informations personnelles ne sont plus modifiables."))
    values = _clean(values, INFOS_PERSO_FIELDS)
    for name in ("ine", "cle_ine"):
        values[name] = normalize_ine(values[name])
    errors = {}
    nationalite = _lookup(Pays, values["nationalite"], "nationalite", errors,
                          _("Choisissez votre nationalité dans la liste."))
    errors.update(ine_errors(values["ine"], values["cle_ine"],
                             required=nationalite is not None and nationalite.code == FRANCE))
    _check_identity(values, errors, today)
    place = _check_place(values, errors, BIRTH_PLACE)
    if place.pays is not None and place.pays.code != FRANCE:
        _require(values, "ville_naissance", errors, _("Saisissez votre ville de naissance."))
    if errors:
        raise ProfileError(errors)
    values.update(pays_naissance=place.pays, departement_naissance=place.departement,
                  commune_naissance=place.commune, nationalite=nationalite)
    if place.commune is not None:
        values["ville_naissance"] = None
    with database.atomic():
        _assign(candidat, values)
        candidat.updated_at = clock.now()
        candidat.save()
        dossiers.invalidate_candidat(candidat.id)


def identity(candidat):
    """``candidat`` with its nationality and birth place loaded in the same query."""
    nationalite, pays_naissance = Pays.alias(), Pays.alias()
    return (Candidat
            .select(Candidat, nationalite, pays_naissance, Departement, Commune)
            .join_from(Candidat, nationalite, JOIN.LEFT_OUTER,
                       on=(Candidat.nationalite == nationalite.code), attr="nationalite")
            .join_from(Candidat, pays_naissance, JOIN.LEFT_OUTER,
                       on=(Candidat.pays_naissance == pays_naissance.code),
                       attr="pays_naissance")
            .join_from(Candidat, Departement, JOIN.LEFT_OUTER,
                       on=(Candidat.departement_naissance == Departement.code),
                       attr="departement_naissance")
            .join_from(Candidat, Commune, JOIN.LEFT_OUTER,
                       on=(Candidat.commune_naissance == Commune.code_insee),
                       attr="commune_naissance")
            .where(Candidat.id == candidat.id)
            .get())


# --- Adresse -------------------------------------------------------------------------------

def _adresse_of(candidat):
    if candidat.adresse_id is None:
        return None
    return Adresse.get_or_none(Adresse.id == candidat.adresse_id)


def adresse_values(candidat):
    """The stored address, keyed and coded as save_adresse expects."""
    adresse = _adresse_of(candidat)
    return {name: adresse.__data__.get(name) for name in ADRESSE_FIELDS} if adresse else {}


def _check_commune_for_postal_code(values, errors):
    """In France the commune is one of those that carry the typed postal code."""
    code_postal, commune = values["code_postal"], values["commune"]
    if not code_postal or not POSTAL_CODE.match(code_postal):
        errors["code_postal"] = _("Saisissez un code postal de 5 chiffres.")
    if not commune:
        errors["commune"] = PLACEHOLDER_MESSAGES["commune"]
    if errors.keys() & {"code_postal", "commune"}:
        return None
    link = (CommuneCodePostal.select(CommuneCodePostal, Commune).join(Commune)
            .where((CommuneCodePostal.code_postal == code_postal)
                   & (CommuneCodePostal.commune == commune))
            .first())
    if link is None:
        errors["commune"] = _("Cette commune ne correspond pas au code postal saisi.")
        return None
    return link.commune


def save_adresse(candidat, values):
    """Check and store ``candidat``'s postal address (created on first save).

    In France the commune must carry the postal code; abroad a city is required and
    the French-only parts (commune, cedex) are dropped. Raises ProfileError."""
    values = _clean(values, ADRESSE_FIELDS)
    errors = {}
    pays = _lookup(Pays, values["pays"], "pays", errors, PLACEHOLDER_MESSAGES["pays"])
    _require(values, "adresse1", errors, _("Saisissez votre adresse."))
    if pays is not None and pays.code == FRANCE:
        values.update(commune=_check_commune_for_postal_code(values, errors),
                      ville_etrangere=None)
    else:
        _require(values, "ville_etrangere", errors, _("Saisissez votre ville."))
        values.update(commune=None, cedex=None)
    if errors:
        raise ProfileError(errors)
    values["pays"] = pays
    with database.atomic():
        adresse = _adresse_of(candidat) or Adresse()
        _assign(adresse, values)
        adresse.save()
        candidat.adresse = adresse
        candidat.updated_at = clock.now()
        candidat.save(only=[Candidat.adresse, Candidat.updated_at])
        dossiers.invalidate_candidat(candidat.id)


# --- Baccalauréat ----------------------------------------------------------------------------

def bac_values(candidat):
    """The stored bac, keyed as save_bac expects (``sans_bac`` and the spécialités too)."""
    bac = (CandidatBac.select(CandidatBac, BacSerie).join(BacSerie, JOIN.LEFT_OUTER)
           .where(CandidatBac.candidat == candidat.id).first())
    if bac is None:
        return {}
    values = {name: bac.__data__.get(name) for name in BAC_FIELDS}
    values["sans_bac"] = bool(bac.serie_id and bac.serie.sans_bac)
    specialites = (CandidatBacSpecialite.select(CandidatBacSpecialite.specialite)
                   .where(CandidatBacSpecialite.bac == bac.id)
                   .order_by(CandidatBacSpecialite.id))
    values.update(zip(SPECIALITE_KEYS, (row.specialite_id for row in specialites)))
    return values


def _check_specialites(serie, annee, values, errors):
    """The codes of the spécialités chosen, in order: two distinct ones, valid in
    ``annee``, and only for a series that has spécialités."""
    codes = [values.get(key) for key in SPECIALITE_KEYS]
    if serie is None:
        return []
    if not serie.specialites:
        for key, code in zip(SPECIALITE_KEYS, codes):
            if code:
                errors[key] = _("La série choisie n'a pas de spécialités : laissez ce champ vide.")
        return []
    rows = {row.code: row for row in
            BacSpecialite.select().where(BacSpecialite.code.in_([c for c in codes if c]))}
    for key, code in zip(SPECIALITE_KEYS, codes):
        if not code:
            errors[key] = _("Choisissez vos deux spécialités de terminale.")
        elif code not in rows:
            errors[key] = _("Choisissez une spécialité dans la liste.")
        elif annee and not rows[code].is_valid_in(annee):
            errors[key] = _("Cette spécialité n'existe pas pour l'année %(annee)s.", annee=annee)
    if codes[0] and codes[0] == codes[1]:
        errors["specialite2"] = _("Choisissez deux spécialités différentes.")
    return codes


def _check_bac(values, errors):
    """The CandidatBac fields and spécialités of a bac (not "Sans bac")."""
    annee = values["annee_obtention"]
    _require(values, "annee_obtention", errors, _("Saisissez l'année d'obtention."))
    serie = _lookup(BacSerie, values["serie"], "serie", errors,
                    _("Choisissez une série dans la liste."))
    if serie is not None and serie.sans_bac:
        errors["serie"] = _("Si vous n'avez pas le baccalauréat, cochez « Sans bac ».")
    elif serie is not None and annee and not serie.is_valid_in(annee):
        errors["serie"] = _("La série « %(serie)s » n'est pas délivrée en %(annee)s : "
                            "choisissez une série de cette année.", serie=serie.libelle,
                            annee=annee)
    mention = None
    if values["mention"]:
        mention = _lookup(BacMention, values["mention"], "mention", errors,
                          _("Choisissez une mention dans la liste."))
        if mention is not None and annee and not mention.is_valid_in(annee):
            errors["mention"] = _("Cette mention n'existe pas pour l'année %(annee)s.",
                                  annee=annee)
    place = _check_place(values, errors, PLACE)
    etablissement = None
    if place.pays is not None and place.pays.code == FRANCE:
        etablissement = _check_etablissement(values["etablissement"], place.commune, errors,
                                              required=True)
    specialites = _check_specialites(serie, annee, values, errors)
    fields = dict(annee_obtention=annee, serie=serie, mention=mention, pays=place.pays,
                  departement=place.departement, commune=place.commune,
                  etablissement=etablissement)
    return fields, specialites


def _sans_bac(errors):
    serie = BacSerie.select().where(BacSerie.sans_bac).first()
    if serie is None:
        errors["sans_bac"] = _("Le choix « Sans bac » n'est pas disponible : "
                               "contactez la scolarité.")
    return dict(annee_obtention=None, serie=serie, mention=None, pays=None, departement=None,
                commune=None, etablissement=None)


def save_bac(candidat, values):
    """Check and store ``candidat``'s baccalauréat (or "Sans bac", which clears the rest).

    The series must be valid in the year of graduation; in France the commune lies in
    the département and the établissement in the commune; spécialités go with a
    series that has them. Raises ProfileError."""
    values = _clean(values, BAC_FIELDS + SPECIALITE_KEYS + ("sans_bac",))
    errors = {}
    if values["sans_bac"]:
        fields, specialites = _sans_bac(errors), []
    else:
        fields, specialites = _check_bac(values, errors)
    if errors:
        raise ProfileError(errors)
    with database.atomic():
        bac = CandidatBac.get_or_none(CandidatBac.candidat == candidat.id) \
            or CandidatBac(candidat=candidat)
        _assign(bac, fields)
        bac.save()
        CandidatBacSpecialite.delete().where(CandidatBacSpecialite.bac == bac.id).execute()
        if specialites:
            # Inserted in the order chosen: bac_values reads them back by id.
            CandidatBacSpecialite.insert_many(
                [{"bac": bac.id, "specialite": code} for code in specialites]).execute()
        dossiers.invalidate_candidat(candidat.id)


# --- Cursus, stages, expériences -------------------------------------------------------------

def owned(model, candidat, entry_id):
    """The ``model`` row ``entry_id`` if it belongs to ``candidat``, else None (→ 404)."""
    return model.get_or_none((model.id == entry_id) & (model.candidat == candidat.id))


def entry_values(entry, names):
    """The stored ``names`` of a cursus, stage or expérience, foreign keys as codes."""
    return {name: entry.__data__.get(name) for name in names}


def _check_cursus(values, errors):
    place = _check_place(values, errors, PLACE)
    if place.pays is not None and place.pays.code == FRANCE:
        etablissement = _check_etablissement(values["etablissement"], place.commune, errors,
                                              required=False)
        if etablissement is None and not values["etablissement_libelle"] \
                and "etablissement" not in errors:
            errors["etablissement"] = _("Choisissez un établissement dans la liste "
                                        "ou saisissez son nom.")
    else:
        etablissement = None
        _require(values, "etablissement_libelle", errors,
                 _("Saisissez le nom de l'établissement."))
    cursus_type = _lookup(CursusType, values["cursus_type"], "cursus_type", errors,
                          _("Choisissez un type de formation dans la liste."))
    if values["obtenu"] not in CURSUS_OBTENU:
        errors["obtenu"] = _("Indiquez si le diplôme est obtenu, non obtenu ou en cours.")
    for name in ("annee", "libelle"):
        _require(values, name, errors, _("Ce champ est obligatoire."))
    return dict(values, pays=place.pays, departement=place.departement, commune=place.commune,
                etablissement=etablissement, cursus_type=cursus_type)


def _save_entry(entry, fields):
    with database.atomic():
        _assign(entry, fields)
        entry.save()
        dossiers.invalidate_candidat(entry.candidat_id)
    return entry


def save_cursus_externe(candidat, values, cursus=None):
    """Check and store a post-bac cursus of ``candidat`` (new when ``cursus`` is None).

    In France the commune lies in the département and a listed établissement in the
    commune, else its name is typed; abroad the name is required. Raises ProfileError."""
    values = _clean(values, CURSUS_FIELDS)
    errors = {}
    fields = _check_cursus(values, errors)
    if errors:
        raise ProfileError(errors)
    return _save_entry(cursus or CursusExterne(candidat=candidat), fields)


def save_stage(candidat, values, stage=None):
    """Store a stage of ``candidat`` (new when ``stage`` is None); the form checked it."""
    return _save_entry(stage or Stage(candidat=candidat), _clean(values, STAGE_FIELDS))


def save_experience(candidat, values, experience=None):
    """Store an expérience pro. of ``candidat`` (new when None); the form checked it."""
    return _save_entry(experience or ExperiencePro(candidat=candidat),
                       _clean(values, EXPERIENCE_FIELDS))


def delete_entry(entry):
    """Delete a cursus externe, stage or expérience already checked by ``owned``."""
    with database.atomic():
        entry.delete_instance()
        dossiers.invalidate_candidat(entry.candidat_id)


def cursus_externes(candidat):
    """The candidate's cursus externes, newest first, with their places and type."""
    return list(CursusExterne
                .select(CursusExterne, Pays, Commune, Etablissement, CursusType)
                .join_from(CursusExterne, Pays, JOIN.LEFT_OUTER)
                .join_from(CursusExterne, Commune, JOIN.LEFT_OUTER)
                .join_from(CursusExterne, Etablissement, JOIN.LEFT_OUTER)
                .join_from(CursusExterne, CursusType, JOIN.LEFT_OUTER)
                .where(CursusExterne.candidat == candidat.id)
                .order_by(CursusExterne.annee.desc(), CursusExterne.id.desc()))


def _entries(model, candidat):
    return list(model.select().where(model.candidat == candidat.id)
                .order_by(model.annee.desc(), model.id.desc()))


def cursus_internes(candidat):
    return _entries(CursusInterne, candidat)


def stages(candidat):
    return _entries(Stage, candidat)


def experiences(candidat):
    return _entries(ExperiencePro, candidat)


# --- Lists for the choices and the JSON endpoints ------------------------------------------
# Each returns [{"value": code, "label": text}, …] sorted for reading (accents ignored).

def _sort_key(label):
    decomposed = unicodedata.normalize("NFKD", str(label))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _items(rows, label=str, **flags):
    items = [dict({"value": row._pk, "label": label(row)},
                  **{name: bool(getattr(row, attr)) for name, attr in flags.items()})
             for row in rows]
    return sorted(items, key=lambda item: _sort_key(item["label"]))


def pays():
    """Countries in the reader's language, in its alphabetical order, France first."""
    rows = Pays.select().order_by(Pays.libelle).limit(MAX_REFERENTIAL_ROWS)
    items = _items(rows, label=lambda row: row.label)
    return sorted(items, key=lambda item: item["value"] != FRANCE)


def nationalites():
    rows = Pays.select().order_by(Pays.nationalite).limit(MAX_REFERENTIAL_ROWS)
    return _items(rows, label=lambda row: row.nationalite_label)


def departements():
    rows = Departement.select().order_by(Departement.code).limit(MAX_REFERENTIAL_ROWS)
    return sorted(_items(rows), key=lambda item: item["value"])


def communes_for_departement(code):
    if not code or not DEPARTEMENT_CODE.match(code):
        return []
    return _items(Commune.select().where(Commune.departement == code)
                  .order_by(Commune.libelle).limit(MAX_COMMUNES))


def communes_for_postal_code(code_postal):
    if not code_postal or not POSTAL_CODE.match(code_postal.strip()):
        return []
    rows = (Commune.select().join(CommuneCodePostal)
            .where(CommuneCodePostal.code_postal == code_postal.strip())
            .order_by(Commune.libelle).limit(MAX_COMMUNES_PER_POSTAL_CODE))
    return _items(rows)


def etablissements(commune, type_etablissement=None):
    """Active établissements of ``commune`` (an INSEE code), of one type if given."""
    if not commune or not COMMUNE_CODE.match(commune):
        return []
    query = Etablissement.select().where((Etablissement.commune == commune)
                                         & Etablissement.actif)
    if type_etablissement:
        query = query.where(Etablissement.type == type_etablissement[:40])
    return _items(query.order_by(Etablissement.libelle).limit(MAX_ETABLISSEMENTS))


def bac_series(annee=None):
    """Series valid in ``annee`` (all when None), "Sans bac" apart; each item tells
    whether the series has spécialités."""
    rows = BacSerie.valid_in(annee).where(~BacSerie.sans_bac).limit(MAX_REFERENTIAL_ROWS)
    return _items(rows, specialites="specialites")


def bac_specialites(annee=None):
    return _items(BacSpecialite.valid_in(annee).limit(MAX_REFERENTIAL_ROWS))


def bac_mentions(annee=None):
    return _items(BacMention.valid_in(annee).limit(MAX_REFERENTIAL_ROWS))


def cursus_types():
    return _items(CursusType.select().limit(MAX_REFERENTIAL_ROWS))

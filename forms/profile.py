"""Forms of the "Mon compte" screens.

Fields check what can be checked alone (required, length, format, year range); the
rules that tie fields together and to the referential (INE for French nationals, a
commune of the département or of the postal code…) live in ecandidat.profile, whose
refusals land on the fields through ``add_errors``. Lists depending on another field
get their choices from ``load_choices()``, called before rendering, from what was
typed; their values are checked by ecandidat.profile, hence ``validate_choice=False``.
"""
import re

from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, DateField, IntegerField, SelectField, StringField,
                     TelField, TextAreaField)
from wtforms.validators import (AnyOf, DataRequired, InputRequired, Length, NumberRange,
                                Optional, Regexp, ValidationError)

from ecandidat import clock, profile
from ecandidat.codes import CIVILITE, CURSUS_OBTENU
from ecandidat.models.referential import FRANCE
from forms.base import BaseForm

PLACEHOLDER = ("", _l("— Choisir —"))
NAME = re.compile(r"^[^\W\d_]+(?:[\s'’-]+[^\W\d_]+)*$")
PHONE = re.compile(r"^\+?[0-9][0-9 .()-]{5,19}$")
FIRST_YEAR = 1950


def strip(value):
    return value.strip() if isinstance(value, str) else value


def _length(maximum):
    return Length(max=maximum, message=_l("Saisissez %(max)d caractères au plus."))


def _name_format():
    return Regexp(NAME, message=_l("Utilisez uniquement des lettres, des espaces, "
                                   "des tirets et des apostrophes."))


def _phone_format():
    return Regexp(PHONE, message=_l("Saisissez un numéro de téléphone valide : chiffres, "
                                    "espaces, points ou tirets, avec « + » pour "
                                    "l'indicatif d'un autre pays."))


class YearRange:
    """A year between FIRST_YEAR and this year plus ``ahead``, read when validating
    so that the bound moves with the calendar."""

    def __init__(self, ahead=0):
        self.ahead = ahead

    def __call__(self, form, field):
        last = clock.today().year + self.ahead
        if field.data is not None and not FIRST_YEAR <= field.data <= last:
            raise ValidationError(_l("Saisissez une année entre %(debut)d et %(fin)d.",
                                     debut=FIRST_YEAR, fin=last))


class RequiredHere:
    """Marks a field required in some cases only (in France, with a bac…): the label
    gets its asterisk, ecandidat.profile decides and says what is missing."""
    field_flags = {"required": True}

    def __call__(self, form, field):
        """Nothing to check here; the rule needs the other fields."""


class _FrenchParseError:
    """Replaces WTForms' English message for a value it cannot read."""

    def __init__(self, *args, parse_error, **kwargs):
        super().__init__(*args, **kwargs)
        self.parse_error = parse_error

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(self.parse_error) from error


class FrenchDateField(_FrenchParseError, DateField):
    pass


class FrenchIntegerField(_FrenchParseError, IntegerField):
    def __init__(self, label, validators, **kwargs):
        kwargs.setdefault("parse_error", _l("Saisissez un nombre entier."))
        super().__init__(label, validators, **kwargs)


class YearField(FrenchIntegerField):
    def __init__(self, label, validators, **kwargs):
        super().__init__(label, validators, parse_error=_l("Saisissez une année sur 4 chiffres."),
                         **kwargs)


def _reference_select(label, validators=(), **kwargs):
    """A list fed from the referential, whose value ecandidat.profile checks."""
    return SelectField(label, validators=list(validators), validate_choice=False, **kwargs)


def _code_select(label, codes, message):
    """A required choice among fixed codes (ecandidat.codes): one message when the
    choice is missing or unknown."""
    return SelectField(label, choices=[PLACEHOLDER] + codes.choices(), validate_choice=False,
                       validators=[DataRequired(message), AnyOf(list(codes), message)])


def _options(items):
    """Select choices from ecandidat.profile's lists; flags become data- attributes
    that the dependent-lists script reads (e.g. a series with spécialités)."""
    return [PLACEHOLDER] + [
        (item["value"], item["label"],
         {f"data-{name}": "1" for name, value in item.items()
          if name not in ("value", "label") and value is True})
        for item in items]


def _year(value):
    return value if isinstance(value, int) and FIRST_YEAR <= value <= 2100 else None


class ProfileForm(BaseForm):
    """Common plumbing: plain values for ecandidat.profile, and its refusals back."""

    def values(self):
        return {name: field.data for name, field in self._fields.items()
                if name != "csrf_token"}

    def add_errors(self, errors):
        """Show ecandidat.profile's messages next to their fields (after validate())."""
        for name, message in errors.items():
            self[name].errors.append(message)

    def load_choices(self):
        """Fill the lists from the referential and from what was typed."""

    def in_france(self, name="pays"):
        return self[name].data == FRANCE


class InfosPersoForm(ProfileForm):
    nationalite = _reference_select(_l("Nationalité"), [
        DataRequired(_l("Choisissez votre nationalité."))])
    ine = StringField(_l("INE"), filters=[profile.normalize_ine])
    cle_ine = StringField(_l("Clé INE"), filters=[profile.normalize_ine])
    civilite = _code_select(_l("Civilité"), CIVILITE, _l("Choisissez votre civilité."))
    nom_patronymique = StringField(_l("Nom patronymique"), filters=[strip], validators=[
        DataRequired(_l("Saisissez votre nom de naissance.")), _length(30), _name_format()])
    nom_usuel = StringField(_l("Nom usuel"), filters=[strip], validators=[
        Optional(), _length(30), _name_format()])
    prenom = StringField(_l("Prénom"), filters=[strip], validators=[
        DataRequired(_l("Saisissez votre prénom.")), _length(20), _name_format()])
    autre_prenom = StringField(_l("Autre prénom"), filters=[strip], validators=[
        Optional(), _length(20), _name_format()])
    date_naissance = FrenchDateField(
        _l("Date naissance"), format=["%Y-%m-%d", "%d/%m/%Y"],
        parse_error=_l("Saisissez une date valide, au format jj/mm/aaaa."),
        validators=[InputRequired(_l("Saisissez votre date de naissance."))])
    pays_naissance = _reference_select(_l("Pays de naissance"), [
        DataRequired(_l("Choisissez votre pays de naissance."))], default=FRANCE)
    departement_naissance = _reference_select(_l("Département de naissance"), [RequiredHere()])
    commune_naissance = _reference_select(_l("Ville de naissance"), [RequiredHere()])
    ville_naissance = StringField(_l("Ville de naissance"), filters=[strip], validators=[
        RequiredHere(), Optional(), _length(100)])
    telephone = TelField(_l("Téléphone"), filters=[strip], validators=[
        Optional(), _phone_format()])
    telephone_portable = TelField(_l("Téléphone portable"), filters=[strip], validators=[
        Optional(), _phone_format()])

    def validate_date_naissance(self, field):
        if field.data is None:  # unreadable: the field already says so
            return
        error = profile.birth_date_error(field.data)
        if error:
            raise ValidationError(error)

    def load_choices(self):
        self.nationalite.choices = _options(profile.nationalites())
        self.pays_naissance.choices = _options(profile.pays())
        self.departement_naissance.choices = _options(profile.departements())
        self.commune_naissance.choices = _options(
            profile.communes_for_departement(self.departement_naissance.data))


class AdresseForm(ProfileForm):
    pays = _reference_select(_l("Pays"), [DataRequired(_l("Choisissez votre pays."))],
                             default=FRANCE)
    code_postal = StringField(_l("Code postal"), filters=[strip], validators=[
        RequiredHere(), Optional(), _length(10)])
    commune = _reference_select(_l("Commune"), [RequiredHere()])
    ville_etrangere = StringField(_l("Ville"), filters=[strip], validators=[
        RequiredHere(), Optional(), _length(100)])
    adresse1 = StringField(_l("Adresse"), filters=[strip], validators=[
        DataRequired(_l("Saisissez votre adresse.")), _length(100)])
    adresse2 = StringField(_l("Complément d'adresse 1"), filters=[strip], validators=[
        Optional(), _length(100)])
    adresse3 = StringField(_l("Complément d'adresse 2"), filters=[strip], validators=[
        Optional(), _length(100)])
    cedex = StringField(_l("Cedex"), filters=[strip], validators=[Optional(), _length(20)])

    def load_choices(self):
        self.pays.choices = _options(profile.pays())
        self.commune.choices = _options(profile.communes_for_postal_code(self.code_postal.data))


class BacForm(ProfileForm):
    sans_bac = BooleanField(_l("Sans bac"))
    annee_obtention = YearField(_l("Année d'obtention"), [RequiredHere(), Optional(),
                                                           YearRange()])
    serie = _reference_select(_l("Série du bac ou équivalence"), [RequiredHere()])
    mention = _reference_select(_l("Mention"))
    pays = _reference_select(_l("Pays d'obtention"), [RequiredHere()], default=FRANCE)
    departement = _reference_select(_l("Département"), [RequiredHere()])
    commune = _reference_select(_l("Commune"), [RequiredHere()])
    etablissement = _reference_select(_l("Etablissement"), [RequiredHere()])
    specialite1 = _reference_select(_l("Spécialité 1 (terminale)"), [RequiredHere()])
    specialite2 = _reference_select(_l("Spécialité 2 (terminale)"), [RequiredHere()])

    def load_choices(self):
        annee = _year(self.annee_obtention.data)
        self.serie.choices = _options(profile.bac_series(annee))
        self.mention.choices = _options(profile.bac_mentions(annee))
        self.pays.choices = _options(profile.pays())
        self.departement.choices = _options(profile.departements())
        self.commune.choices = _options(profile.communes_for_departement(self.departement.data))
        self.etablissement.choices = _options(
            profile.etablissements(self.commune.data, profile.LYCEE))
        specialites = _options(profile.bac_specialites(annee))
        self.specialite1.choices = self.specialite2.choices = specialites

    def serie_has_specialites(self):
        """Whether the chosen series asks for spécialités (after load_choices)."""
        return any(value == self.serie.data and extra.get("data-specialites")
                   for value, _label, extra in self.serie.choices[1:])


class CursusExterneForm(ProfileForm):
    annee = YearField(_l("Année d'obtention"), [
        InputRequired(_l("Saisissez l'année.")), YearRange(ahead=1)])
    pays = _reference_select(_l("Pays"), [DataRequired(_l("Choisissez le pays."))],
                             default=FRANCE)
    departement = _reference_select(_l("Département"), [RequiredHere()])
    commune = _reference_select(_l("Commune"), [RequiredHere()])
    etablissement = _reference_select(_l("Etablissement"))
    etablissement_libelle = StringField(_l("Nom de l'établissement"), filters=[strip],
                                        validators=[Optional(), _length(150)])
    cursus_type = _reference_select(_l("Type de formation"), [
        DataRequired(_l("Choisissez le type de formation."))])
    libelle = StringField(_l("Libellé de la formation"), filters=[strip], validators=[
        DataRequired(_l("Saisissez le libellé de la formation.")), _length(150)])
    niveau = StringField(_l("Niveau"), filters=[strip], validators=[Optional(), _length(20)])
    obtenu = _code_select(_l("Obtenu"), CURSUS_OBTENU,
                          _l("Indiquez si le diplôme est obtenu, non obtenu ou en cours."))
    mention = StringField(_l("Mention"), filters=[strip], validators=[Optional(), _length(50)])

    def load_choices(self):
        self.pays.choices = _options(profile.pays())
        self.departement.choices = _options(profile.departements())
        self.commune.choices = _options(profile.communes_for_departement(self.departement.data))
        self.etablissement.choices = _options(profile.etablissements(self.commune.data))
        self.cursus_type.choices = _options(profile.cursus_types())


class StageForm(ProfileForm):
    annee = YearField(_l("Année"), [InputRequired(_l("Saisissez l'année du stage.")),
                                    YearRange()])
    duree = StringField(_l("Durée"), filters=[strip], validators=[
        DataRequired(_l("Saisissez la durée du stage.")), _length(50)])
    heures_semaine = FrenchIntegerField(_l("Nombre d'heures par semaine"), [
        Optional(), NumberRange(min=1, max=80, message=_l("Saisissez un nombre entre 1 et 80."))])
    employeur = StringField(_l("Employeur/organisme"), filters=[strip], validators=[
        DataRequired(_l("Saisissez l'employeur ou l'organisme.")), _length(150)])
    descriptif = TextAreaField(_l("Descriptif"), filters=[strip], validators=[
        DataRequired(_l("Décrivez vos missions.")), _length(2000)])


class ExperienceForm(ProfileForm):
    annee = YearField(_l("Année"), [InputRequired(_l("Saisissez l'année.")), YearRange()])
    intitule = StringField(_l("Intitulé"), filters=[strip], validators=[
        DataRequired(_l("Saisissez l'intitulé du poste.")), _length(150)])
    duree = StringField(_l("Durée"), filters=[strip], validators=[
        DataRequired(_l("Saisissez la durée de l'emploi.")), _length(50)])
    employeur = StringField(_l("Employeur/organisme"), filters=[strip], validators=[
        DataRequired(_l("Saisissez l'employeur ou l'organisme.")), _length(150)])
    descriptif = TextAreaField(_l("Descriptif"), filters=[strip], validators=[
        Optional(), _length(2000)])

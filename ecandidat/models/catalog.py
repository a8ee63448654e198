"""Training offer: campaign, centres, commissions, formations, pieces, questions."""

from flask_babel import lazy_gettext as _l
from peewee import (BigIntegerField, BooleanField, CharField, DateField, ForeignKeyField,
                    IntegerField, TextField)

from ecandidat import clock
from ecandidat.db import BaseModel, UTCDateTimeField
from ecandidat.models.accounts import User
from ecandidat.models.referential import Commune, Pays


class Campagne(BaseModel):
    code = CharField(max_length=20, unique=True)
    libelle = CharField()
    date_debut = DateField()
    date_fin = DateField()
    date_fin_candidat = DateField(null=True)
    en_service = BooleanField(default=True, index=True)
    archivee_le = UTCDateTimeField(null=True)
    # Its candidatures, files and the accounts holding nothing else destroyed (jobs archivage).
    detruite_le = UTCDateTimeField(null=True)

    @classmethod
    def active(cls, today=None):
        """The campaign in service whose period contains today, or None."""
        today = today or clock.today()
        return (cls.select()
                .where(cls.en_service, cls.archivee_le.is_null(),
                       cls.date_debut <= today, cls.date_fin >= today)
                .order_by(cls.date_debut.desc()).first())

    def __str__(self):
        return self.libelle


class Adresse(BaseModel):
    """Postal address of a candidate or a commission."""
    pays = ForeignKeyField(Pays, null=True)
    code_postal = CharField(max_length=10, null=True)
    commune = ForeignKeyField(Commune, null=True)
    ville_etrangere = CharField(null=True)
    adresse1 = CharField(null=True)
    adresse2 = CharField(null=True)
    adresse3 = CharField(null=True)
    cedex = CharField(max_length=20, null=True)

    def lines(self):
        city = self.commune.libelle if self.commune_id else (self.ville_etrangere or "")
        parts = [self.adresse1, self.adresse2, self.adresse3,
                 " ".join(p for p in (self.code_postal, city, self.cedex) if p)]
        if self.pays_id and self.pays_id != "100":
            parts.append(self.pays.label)
        return [p for p in parts if p]

    def __str__(self):
        return ", ".join(self.lines())


class Centre(BaseModel):
    """Centre de candidature (a composante)."""
    code = CharField(max_length=20, unique=True)
    libelle = CharField(index=True)
    mail_contact = CharField(null=True)
    actif = BooleanField(default=True)
    demat_defaut = BooleanField(default=True)
    nb_max_voeux = IntegerField(null=True)
    informations = TextField(null=True)
    date_debut_depot = DateField(null=True)
    date_fin_depot = DateField(null=True)
    date_preanalyse = DateField(null=True)
    date_retour = DateField(null=True)
    date_jury = DateField(null=True)
    date_publication = DateField(null=True)
    date_confirmation = DateField(null=True)
    delai_confirmation = IntegerField(null=True)

    def __str__(self):
        return self.libelle


class Commission(BaseModel):
    code = CharField(max_length=20, unique=True)
    libelle = CharField(index=True)
    centre = ForeignKeyField(Centre, backref="commissions")
    actif = BooleanField(default=True)
    adresse = ForeignKeyField(Adresse, null=True)
    mail = CharField(null=True)
    telephone = CharField(max_length=30, null=True)
    url = CharField(null=True)
    signataire = CharField(null=True)
    signature_fichier = CharField(null=True)  # stored file name, see storage
    commentaire_retour = TextField(null=True)
    lettre_editable = BooleanField(default=True)
    lettre_par_mail = BooleanField(default=False)
    # The text of its letters (Jinja, sandboxed; None: the default of ecandidat.letters).
    lettre_admission = TextField(null=True)
    lettre_refus = TextField(null=True)
    # The commission's comment on an avis is shown to the candidate (page and mail).
    afficher_commentaire = BooleanField(default=True)
    alerte_transmission = BooleanField(default=True)
    alerte_annulation = BooleanField(default=True)
    alerte_desistement = BooleanField(default=True)
    alerte_liste_principale = BooleanField(default=True)
    mail_alerte = CharField(null=True)

    def __str__(self):
        return self.libelle


class CommissionMembre(BaseModel):
    commission = ForeignKeyField(Commission, backref="membres", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="commissions", on_delete="CASCADE")
    president = BooleanField(default=False)

    class Meta:
        indexes = ((("commission", "user"), True),)


class GestionnaireCentre(BaseModel):
    centre = ForeignKeyField(Centre, backref="gestionnaires", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="centres", on_delete="CASCADE")
    # False: limited to the commissions listed in GestionnaireCommission (none left:
    # none at all — deleting a listed commission never widens the scope).
    toutes_commissions = BooleanField(default=True)

    class Meta:
        indexes = ((("centre", "user"), True),)


class GestionnaireCommission(BaseModel):
    """A gestionnaire limited to some commissions of their centre (eCandidat's
    gestionnaire without tem_all_comm). Without a row: every commission of the centre."""
    user = ForeignKeyField(User, backref="commissions_gerees", on_delete="CASCADE")
    commission = ForeignKeyField(Commission, backref="gestionnaires", on_delete="CASCADE")

    class Meta:
        indexes = ((("user", "commission"), True),)


class TypeDecision(BaseModel):
    """A decision a commission may give (eCandidat's "types de décision"): the
    type d'avis it records, its label, and whether it is final. A formation names
    the favourable decision of its main list and of its liste complémentaire."""
    code = CharField(max_length=20, unique=True)
    libelle = CharField()
    type_avis = CharField(max_length=2)  # codes.TYPE_AVIS
    definitif = BooleanField(default=True)
    actif = BooleanField(default=True)

    def __str__(self):
        return self.libelle


class StatutDossierParam(BaseModel):
    """Per statut du dossier: whether commission members see the candidatures in it
    (eCandidat's tem_comm_visible). A statut without a row is visible."""
    code = CharField(max_length=2, primary_key=True)  # codes.STATUT_DOSSIER
    visible_commission = BooleanField(default=True)


class Tag(BaseModel):
    """A label a centre (or, without a centre, every centre) puts on candidatures."""
    libelle = CharField(max_length=60)
    couleur = CharField(max_length=7, default="#1f5fa8")
    centre = ForeignKeyField(Centre, null=True, backref="tags")
    actif = BooleanField(default=True)

    def __str__(self):
        return self.libelle


class TypeDiplome(BaseModel):
    code = CharField(max_length=20, unique=True)
    libelle = CharField()
    ordre = IntegerField(default=0)

    def __str__(self):
        return self.libelle


class FormationDateError(ValueError):
    """Raised by Formation.save() when its dates are out of order.

    ``errors`` maps each faulty field to its French message."""

    def __init__(self, errors):
        super().__init__("; ".join(str(m) for m in errors.values()))
        self.errors = errors


# (later field, earlier field, message): the later date may not precede the earlier.
DATE_ORDER_RULES = (
    ("date_fin_depot", "date_debut_depot",
     _l("La date de fin de dépôt doit être postérieure ou égale à la date de début de dépôt.")),
    ("date_preanalyse", "date_fin_depot",
     _l("La date de pré-analyse doit être postérieure ou égale à la date de fin de dépôt.")),
    ("date_retour", "date_fin_depot",
     _l("La date limite de retour doit être postérieure ou égale à la date de fin de dépôt.")),
    ("date_jury", "date_retour",
     _l("La date de jury doit être postérieure ou égale à la date limite de retour.")),
    ("date_publication", "date_jury",
     _l("La date de publication doit être postérieure ou égale à la date de jury.")),
    ("date_publication", "date_retour",
     _l("La date de publication doit être postérieure ou égale à la date limite de retour.")),
    ("date_confirmation", "date_publication",
     _l("La date de confirmation doit être postérieure ou égale à la date de publication.")),
    ("date_confirmation", "date_jury",
     _l("La date de confirmation doit être postérieure ou égale à la date de jury.")),
    ("date_confirmation", "date_retour",
     _l("La date de confirmation doit être postérieure ou égale à la date limite de retour.")),
    ("date_confirmation_lc", "date_publication",
     _l("La date de confirmation de liste complémentaire doit être postérieure ou égale "
        "à la date de publication.")),
    ("date_confirmation_lc", "date_jury",
     _l("La date de confirmation de liste complémentaire doit être postérieure ou égale "
        "à la date de jury.")),
    ("date_confirmation_lc", "date_retour",
     _l("La date de confirmation de liste complémentaire doit être postérieure ou égale "
        "à la date limite de retour.")),
)


class Formation(BaseModel):
    code = CharField(max_length=20, unique=True)
    libelle = CharField(index=True)
    type_diplome = ForeignKeyField(TypeDiplome, backref="formations")
    commission = ForeignKeyField(Commission, backref="formations")
    campagne = ForeignKeyField(Campagne, null=True, backref="formations")  # None: every campaign
    type_decision_fav = ForeignKeyField(TypeDecision, null=True, backref="+")
    type_decision_fav_lc = ForeignKeyField(TypeDecision, null=True, backref="+")
    mots_cles = CharField(null=True)
    type_traitement = CharField(max_length=2, default="AC")  # codes.TYPE_TRAITEMENT_FORMATION
    demat = BooleanField(default=True)
    actif = BooleanField(default=True, index=True)
    capacite = IntegerField(null=True)
    liste_complementaire = BooleanField(default=False)
    date_debut_depot = DateField(index=True)
    date_fin_depot = DateField(index=True)
    date_preanalyse = DateField(null=True)
    date_retour = DateField()
    date_jury = DateField(null=True)
    date_publication = DateField(null=True)
    date_confirmation = DateField(null=True)
    delai_confirmation = IntegerField(null=True)
    date_confirmation_lc = DateField(null=True)
    delai_confirmation_lc = IntegerField(null=True)
    preselection_date = DateField(null=True)
    preselection_heure = CharField(max_length=10, null=True)
    preselection_lieu = CharField(null=True)
    url = CharField(null=True)
    informations = TextField(null=True)

    def date_errors(self):
        """Map each date field out of order to its message (empty when valid)."""
        errors = {}
        for later, earlier, message in DATE_ORDER_RULES:
            later_value, earlier_value = getattr(self, later), getattr(self, earlier)
            if later_value and earlier_value and later_value < earlier_value:
                errors.setdefault(later, message)
        if self.date_confirmation and self.delai_confirmation:
            errors.setdefault("delai_confirmation", _l(
                "Indiquez une date de confirmation ou un délai de confirmation, pas les deux."))
        if self.date_confirmation_lc and self.delai_confirmation_lc:
            errors.setdefault("delai_confirmation_lc", _l(
                "Indiquez une date de confirmation ou un délai de confirmation "
                "de liste complémentaire, pas les deux."))
        return errors

    def save(self, *args, **kwargs):
        errors = self.date_errors()
        if errors:
            raise FormationDateError(errors)
        return super().save(*args, **kwargs)

    @classmethod
    def offered(cls):
        """The published offer: active formations of active commissions and centres,
        each with its type de diplôme, commission and centre loaded by one query."""
        return (cls.select(cls, TypeDiplome, Commission, Centre)
                .join(TypeDiplome).switch(cls)
                .join(Commission).join(Centre)
                .where(cls.actif, Commission.actif, Centre.actif))

    @property
    def is_offered(self):
        return self.actif and self.commission.actif and self.commission.centre.actif

    def is_open(self, today=None):
        today = today or clock.today()
        return self.is_offered and self.date_debut_depot <= today <= self.date_fin_depot

    def __str__(self):
        return self.libelle


class PieceJustificative(BaseModel):
    """A document asked of candidates. Scope: every formation (no centre, no
    formation), a centre's formations, or one formation."""
    code = CharField(max_length=20, unique=True)
    libelle = CharField()
    centre = ForeignKeyField(Centre, null=True, backref="pieces")
    formation = ForeignKeyField(Formation, null=True, backref="pieces")
    conditionnelle = BooleanField(default=False)
    # True: one file serves every candidature of the candidate.
    partagee = BooleanField(default=False)
    type_traitement = CharField(max_length=2, null=True)  # restricts to AC or AD
    fichier_modele = CharField(null=True)
    fichier_modele_nom = CharField(null=True)
    ordre = IntegerField(default=0)
    actif = BooleanField(default=True)
    # When the piece was first asked: a candidature transmitted before it never had it
    # to give (flask invariants). None for pieces created before the column existed.
    cree_le = UTCDateTimeField(null=True, default=clock.now)

    def __str__(self):
        return self.libelle


class Question(BaseModel):
    """A built-in complementary form item (yes/no, text or choice)."""
    code = CharField(max_length=20, unique=True)
    libelle = CharField()
    type = CharField(max_length=1, default="S")  # codes.TYPE_QUESTION
    choix = TextField(null=True)  # one option per line, for type C
    centre = ForeignKeyField(Centre, null=True, backref="questions")
    formation = ForeignKeyField(Formation, null=True, backref="questions")
    obligatoire = BooleanField(default=True)
    ordre = IntegerField(default=0)
    actif = BooleanField(default=True)

    def options(self):
        return [line.strip() for line in (self.choix or "").splitlines() if line.strip()]

    def __str__(self):
        return self.libelle


class MotivationAvis(BaseModel):
    """A reason given with a défavorable avis."""
    code = CharField(max_length=20, unique=True)
    libelle = CharField()
    centre = ForeignKeyField(Centre, null=True, backref="motivations")
    actif = BooleanField(default=True)

    def __str__(self):
        return self.libelle


class OfferStamp(BaseModel):
    """The offer's version: one row (id 1) that only the database writes, by the
    triggers of migrations/0006_offer_version.py, in the transaction of any change to
    formation, commission, centre, type_diplome or campagne (see ecandidat.offer).

    Not in MODELS: it is bookkeeping of those tables, not data of its own (a row
    count or a snapshot of every table would see it move with each of their writes)."""
    id = IntegerField(primary_key=True)
    version = BigIntegerField(default=0)
    changed_at = UTCDateTimeField()

    class Meta:
        table_name = "offer_stamp"


MODELS = [Campagne, Adresse, Centre, Commission, CommissionMembre, GestionnaireCentre,
          GestionnaireCommission,
          TypeDecision, StatutDossierParam, Tag, TypeDiplome, Formation, PieceJustificative, Question, MotivationAvis]

"""The candidate's file: identity, address, baccalauréat, cursus, stages, experience."""

from peewee import (BooleanField, CharField, DateField, ForeignKeyField,
                    IntegerField, TextField)

from ecandidat import clock
from ecandidat.db import BaseModel, UTCDateTimeField
from ecandidat.models.accounts import CompteCandidat
from ecandidat.models.catalog import Adresse
from ecandidat.models.referential import (BacMention, BacSerie, BacSpecialite, Commune,
                                          CursusType, Departement, Etablissement, Pays)


class Candidat(BaseModel):
    compte = ForeignKeyField(CompteCandidat, unique=True, backref="candidats",
                             on_delete="CASCADE")
    civilite = CharField(max_length=3, null=True)  # codes.CIVILITE
    # indexed: the console list's orders by nom, by prénom (migration 0007)
    nom_patronymique = CharField(max_length=30, index=True)
    nom_usuel = CharField(max_length=30, null=True)
    prenom = CharField(max_length=20, index=True)
    autre_prenom = CharField(max_length=20, null=True)
    date_naissance = DateField(null=True)
    pays_naissance = ForeignKeyField(Pays, null=True)
    departement_naissance = ForeignKeyField(Departement, null=True)
    commune_naissance = ForeignKeyField(Commune, null=True)
    ville_naissance = CharField(null=True)  # outside France
    nationalite = ForeignKeyField(Pays, null=True, backref="ressortissants")
    ine = CharField(max_length=10, null=True, index=True)
    cle_ine = CharField(max_length=2, null=True)
    telephone = CharField(max_length=20, null=True)
    telephone_portable = CharField(max_length=20, null=True)
    langue = CharField(max_length=5, default="fr")
    adresse = ForeignKeyField(Adresse, null=True)
    updated_at = UTCDateTimeField(default=clock.now)

    def __str__(self):
        return f"{self.nom_usuel or self.nom_patronymique} {self.prenom}"


class CandidatBac(BaseModel):
    candidat = ForeignKeyField(Candidat, unique=True, backref="bacs", on_delete="CASCADE")
    annee_obtention = IntegerField(null=True)
    serie = ForeignKeyField(BacSerie, null=True)
    mention = ForeignKeyField(BacMention, null=True)
    pays = ForeignKeyField(Pays, null=True)
    departement = ForeignKeyField(Departement, null=True)
    commune = ForeignKeyField(Commune, null=True)
    etablissement = ForeignKeyField(Etablissement, null=True)


class CandidatBacSpecialite(BaseModel):
    bac = ForeignKeyField(CandidatBac, backref="specialites", on_delete="CASCADE")
    specialite = ForeignKeyField(BacSpecialite)

    class Meta:
        indexes = ((("bac", "specialite"), True),)


class CursusInterne(BaseModel):
    """Imported from the university's records; read-only for the candidate."""
    candidat = ForeignKeyField(Candidat, backref="cursus_internes", on_delete="CASCADE")
    annee = IntegerField()
    code_etape = CharField(max_length=20, null=True)
    libelle = CharField()
    note = CharField(max_length=10, null=True)
    bareme = CharField(max_length=10, null=True)
    mention = CharField(null=True)
    resultat = CharField(null=True)


class CursusExterne(BaseModel):
    candidat = ForeignKeyField(Candidat, backref="cursus_externes", on_delete="CASCADE")
    annee = IntegerField()
    pays = ForeignKeyField(Pays, null=True)
    departement = ForeignKeyField(Departement, null=True)
    commune = ForeignKeyField(Commune, null=True)
    etablissement = ForeignKeyField(Etablissement, null=True)
    etablissement_libelle = CharField(null=True)  # abroad or not listed
    cursus_type = ForeignKeyField(CursusType, null=True)
    libelle = CharField()
    niveau = CharField(max_length=20, null=True)
    obtenu = CharField(max_length=1)  # codes.CURSUS_OBTENU
    mention = CharField(null=True)


class Stage(BaseModel):
    candidat = ForeignKeyField(Candidat, backref="stages", on_delete="CASCADE")
    annee = IntegerField()
    duree = CharField(max_length=50)
    heures_semaine = IntegerField(null=True)
    employeur = CharField()
    descriptif = TextField(null=True)


class ExperiencePro(BaseModel):
    candidat = ForeignKeyField(Candidat, backref="experiences", on_delete="CASCADE")
    annee = IntegerField()
    intitule = CharField()
    duree = CharField(max_length=50)
    employeur = CharField()
    descriptif = TextField(null=True)


MODELS = [Candidat, CandidatBac, CandidatBacSpecialite, CursusInterne, CursusExterne,
          Stage, ExperiencePro]

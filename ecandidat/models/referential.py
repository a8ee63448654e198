"""Shipped reference data: countries, départements, communes, lycées, bac."""
from peewee import BooleanField, CharField, ForeignKeyField, IntegerField

from ecandidat.db import BaseModel

FRANCE = "100"  # INSEE country code of France, without the 99 prefix


class Pays(BaseModel):
    code = CharField(primary_key=True, max_length=3)  # INSEE, e.g. 100 = France
    iso2 = CharField(max_length=2, unique=True)
    libelle = CharField(index=True)
    nationalite = CharField()

    def __str__(self):
        return self.label

    @property
    def label(self):
        """The name in the reader's language (ecandidat.i18n.country_name)."""
        from ecandidat.i18n import country_name
        return country_name(self.iso2, self.libelle)

    @property
    def nationalite_label(self):
        """The nationality in French; in another language, the country's name (CLDR
        has no names of nationalities)."""
        from ecandidat.i18n import country_name
        name = country_name(self.iso2, None)
        return name or self.nationalite


class Departement(BaseModel):
    code = CharField(primary_key=True, max_length=3)
    libelle = CharField(index=True)
    region = CharField(max_length=3, null=True)

    def __str__(self):
        return f"{self.code} - {self.libelle}"


class Commune(BaseModel):
    code_insee = CharField(primary_key=True, max_length=5)
    libelle = CharField(index=True)
    departement = ForeignKeyField(Departement, backref="communes", null=True)

    def __str__(self):
        return self.libelle


class CommuneCodePostal(BaseModel):
    """One row per (postal code, commune): a code serves several communes and
    a commune may have several codes."""
    code_postal = CharField(max_length=5, index=True)
    commune = ForeignKeyField(Commune, backref="codes_postaux", on_delete="CASCADE")
    libelle_acheminement = CharField(null=True)

    class Meta:
        indexes = ((("code_postal", "commune"), True),)


class Etablissement(BaseModel):
    uai = CharField(primary_key=True, max_length=8)
    libelle = CharField(index=True)
    type = CharField(max_length=40, default="LYC")
    departement = ForeignKeyField(Departement, null=True, backref="etablissements")
    commune = ForeignKeyField(Commune, null=True, backref="etablissements")
    code_postal = CharField(max_length=5, null=True)
    ville = CharField(null=True)
    actif = BooleanField(default=True)

    def __str__(self):
        return self.libelle


class _ValidBetweenYears(BaseModel):
    """A code valid for graduation years [premiere_annee, derniere_annee]."""
    code = CharField(primary_key=True, max_length=10)
    libelle = CharField()
    premiere_annee = IntegerField(null=True)
    derniere_annee = IntegerField(null=True)

    @classmethod
    def valid_in(cls, year):
        query = cls.select()
        if year:
            query = query.where(
                (cls.premiere_annee.is_null() | (cls.premiere_annee <= year))
                & (cls.derniere_annee.is_null() | (cls.derniere_annee >= year)))
        return query.order_by(cls.libelle)

    def is_valid_in(self, year):
        return ((self.premiere_annee is None or self.premiere_annee <= year)
                and (self.derniere_annee is None or self.derniere_annee >= year))

    def __str__(self):
        return self.libelle


class BacSerie(_ValidBetweenYears):
    specialites = BooleanField(default=False)
    sans_bac = BooleanField(default=False)


class BacSpecialite(_ValidBetweenYears):
    pass


class BacMention(_ValidBetweenYears):
    pass


class CursusType(BaseModel):
    code = CharField(primary_key=True, max_length=10)
    libelle = CharField()

    def __str__(self):
        return self.libelle


MODELS = [Pays, Departement, Commune, CommuneCodePostal, Etablissement,
          BacSerie, BacSpecialite, BacMention, CursusType]

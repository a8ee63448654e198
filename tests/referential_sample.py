"""A small referential for tests: two countries, two départements, three communes,
three établissements, bac series across the 2021 reform, mentions, spécialités and
kinds of cursus."""
from ecandidat.models import (BacMention, BacSerie, BacSpecialite, Commune, CommuneCodePostal,
                              CursusType, Departement, Etablissement, Pays)

LYCEE_POITIERS = "0860034V"
LYCEE_PARIS = "0750655E"
UNIVERSITE_POITIERS = "0860856N"


def insert_referential_sample():
    """Insert the sample; call it once per test (tables are emptied after each)."""
    Pays.insert_many([
        {"code": "100", "iso2": "FR", "libelle": "France", "nationalite": "Français(e)"},
        {"code": "109", "iso2": "DE", "libelle": "Allemagne", "nationalite": "Allemand(e)"},
    ]).execute()
    Departement.insert_many([
        {"code": "86", "libelle": "Vienne"},
        {"code": "75", "libelle": "Paris"},
    ]).execute()
    Commune.insert_many([
        {"code_insee": "86194", "libelle": "Poitiers", "departement": "86"},
        {"code_insee": "86041", "libelle": "Buxerolles", "departement": "86"},
        {"code_insee": "75056", "libelle": "Paris", "departement": "75"},
    ]).execute()
    CommuneCodePostal.insert_many([
        {"code_postal": "86000", "commune": "86194"},
        {"code_postal": "86180", "commune": "86041"},
        {"code_postal": "75001", "commune": "75056"},
        {"code_postal": "75005", "commune": "75056"},
    ]).execute()
    Etablissement.insert_many([
        {"uai": LYCEE_POITIERS, "libelle": "Lycée Camille Guérin", "type": "LYC",
         "departement": "86", "commune": "86194", "code_postal": "86000"},
        {"uai": LYCEE_PARIS, "libelle": "Lycée Henri-IV", "type": "LYC",
         "departement": "75", "commune": "75056", "code_postal": "75005"},
        {"uai": UNIVERSITE_POITIERS, "libelle": "Université de Poitiers", "type": "UNIV",
         "departement": "86", "commune": "86194", "code_postal": "86000"},
    ]).execute()
    # insert_many takes its columns from the first row: every row lists them all.
    BacSerie.insert_many([
        ("G", "Baccalauréat général", 2021, None, True, False),
        ("ES", "ES - Économique et social", 1995, 2021, False, False),
        ("SANS", "Sans baccalauréat", None, None, False, True),
    ], fields=[BacSerie.code, BacSerie.libelle, BacSerie.premiere_annee,
               BacSerie.derniere_annee, BacSerie.specialites, BacSerie.sans_bac]).execute()
    BacSpecialite.insert_many([
        {"code": "MATH", "libelle": "Mathématiques", "premiere_annee": 2021},
        {"code": "SES", "libelle": "Sciences économiques et sociales", "premiere_annee": 2021},
        {"code": "PC", "libelle": "Physique-chimie", "premiere_annee": 2021},
    ]).execute()
    BacMention.insert_many([
        {"code": "P", "libelle": "Passable"},
        {"code": "AB", "libelle": "Assez bien"},
        {"code": "B", "libelle": "Bien"},
        {"code": "TB", "libelle": "Très bien"},
    ]).execute()
    CursusType.insert_many([
        {"code": "DUT", "libelle": "Diplôme universitaire de technologie (DUT)"},
        {"code": "LIC", "libelle": "Licence"},
    ]).execute()

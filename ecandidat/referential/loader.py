"""Load the shipped reference files into the database.

`load_referential()` is idempotent: every row is upserted on its natural key, so a rerun
changes nothing and creates no duplicates (rows that disappeared from the files stay).
Rows go in by batches of multi-row INSERT … ON CONFLICT inside a single transaction,
which keeps a full load to a few seconds on SQLite and PostgreSQL.
"""
import contextlib
import csv
import gzip
import io
import os
from dataclasses import dataclass
from typing import Callable

from ecandidat.db import database
from ecandidat.models.referential import (BacMention, BacSerie, BacSpecialite, Commune,
                                          CommuneCodePostal, CursusType, Departement,
                                          Etablissement, Pays)
from ecandidat.referential import DATA_DIR

BATCH_SIZE = 1000  # rows per INSERT: 7 000 parameters at most, under every driver's limit


def _text(value):
    """Empty CSV cells mean NULL for nullable columns."""
    return value or None


def _year(value):
    return int(value) if value else None


def _flag(value):
    return value == "1"


@dataclass(frozen=True)
class Table:
    """One shipped file and how its rows map onto a model."""
    label: str
    model: type
    filename: str
    fields: tuple                   # model fields, in the order `convert` returns them
    convert: Callable[[dict], tuple]
    key: tuple                      # natural key: conflict target of the upsert
    update: bool = True             # False: only insert the rows that are missing


TABLES = (
    Table("Pays", Pays, "pays.csv.gz",
          (Pays.code, Pays.iso2, Pays.libelle, Pays.nationalite),
          lambda r: (r["code"], r["iso2"], r["libelle"], r["nationalite"]),
          (Pays.code,)),
    Table("Départements", Departement, "departements.csv.gz",
          (Departement.code, Departement.libelle, Departement.region),
          lambda r: (r["code"], r["libelle"], _text(r["region"])),
          (Departement.code,)),
    Table("Communes", Commune, "communes.csv.gz",
          (Commune.code_insee, Commune.libelle, Commune.departement),
          lambda r: (r["code_insee"], r["libelle"], _text(r["departement"])),
          (Commune.code_insee,)),
    Table("Codes postaux", CommuneCodePostal, "codes_postaux.csv.gz",
          (CommuneCodePostal.code_postal, CommuneCodePostal.commune,
           CommuneCodePostal.libelle_acheminement),
          lambda r: (r["code_postal"], r["code_insee"], _text(r["libelle_acheminement"])),
          (CommuneCodePostal.code_postal, CommuneCodePostal.commune)),
    # A lycée already present may come from the national directory import, which is
    # more accurate and more recent than the shipped list: leave it as it is.
    Table("Établissements", Etablissement, "etablissements.csv.gz",
          (Etablissement.uai, Etablissement.libelle, Etablissement.type,
           Etablissement.departement, Etablissement.commune, Etablissement.code_postal,
           Etablissement.ville),
          lambda r: (r["uai"], r["libelle"], r["type"], _text(r["departement"]),
                     _text(r["code_insee"]), _text(r["code_postal"]), _text(r["ville"])),
          (Etablissement.uai,), update=False),
    Table("Séries de bac", BacSerie, "bac_series.csv",
          (BacSerie.code, BacSerie.libelle, BacSerie.premiere_annee, BacSerie.derniere_annee,
           BacSerie.specialites, BacSerie.sans_bac),
          lambda r: (r["code"], r["libelle"], _year(r["premiere_annee"]),
                     _year(r["derniere_annee"]), _flag(r["specialites"]), _flag(r["sans_bac"])),
          (BacSerie.code,)),
    Table("Spécialités", BacSpecialite, "bac_specialites.csv",
          (BacSpecialite.code, BacSpecialite.libelle, BacSpecialite.premiere_annee,
           BacSpecialite.derniere_annee),
          lambda r: (r["code"], r["libelle"], _year(r["premiere_annee"]),
                     _year(r["derniere_annee"])),
          (BacSpecialite.code,)),
    Table("Mentions", BacMention, "bac_mentions.csv",
          (BacMention.code, BacMention.libelle, BacMention.premiere_annee,
           BacMention.derniere_annee),
          lambda r: (r["code"], r["libelle"], _year(r["premiere_annee"]),
                     _year(r["derniere_annee"])),
          (BacMention.code,)),
    Table("Types de cursus", CursusType, "cursus_types.csv",
          (CursusType.code, CursusType.libelle),
          lambda r: (r["code"], r["libelle"]),
          (CursusType.code,)),
)  # in foreign-key order


def read_rows(filename, data_dir=DATA_DIR):
    """The rows of a shipped CSV file (gzipped when its name ends with .gz) as dicts."""
    path = os.path.join(data_dir, filename)
    opener = gzip.open if filename.endswith(".gz") else open
    with opener(path, "rb") as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        return list(csv.DictReader(text))


def batches(rows, size=BATCH_SIZE):
    return [rows[start:start + size] for start in range(0, len(rows), size)]


def upsert(table, batch):
    """Insert a batch; on a natural-key conflict update the other columns (or skip)."""
    query = table.model.insert_many(batch, fields=list(table.fields))
    # By name: a peewee Field's == builds an expression (always true), so `in` cannot
    # compare fields.
    key_names = {field.name for field in table.key}
    others = [field for field in table.fields if field.name not in key_names]
    if table.update and others:
        query = query.on_conflict(conflict_target=list(table.key), preserve=others)
    else:
        query = query.on_conflict(conflict_target=list(table.key), action="IGNORE")
    query.as_rowcount().execute()


def progress_over(progress, iterable, length, label):
    """`progress(...)` when given (a context manager yielding the iterable), else the
    iterable as it is."""
    if progress is None:
        return contextlib.nullcontext(iterable)
    return progress(iterable, length=length, label=label)


def load_table(table, progress=None, data_dir=DATA_DIR):
    rows = [table.convert(row) for row in read_rows(table.filename, data_dir)]
    chunks = batches(rows)
    with progress_over(progress, chunks, len(chunks), table.label) as bar:
        for batch in bar:
            upsert(table, batch)


def load_referential(progress=None, data_dir=DATA_DIR):
    """Load every shipped file; returns the row count of each table after the load,
    keyed by its French label.

    `progress(iterable, length, label)` is an optional factory of context managers that
    wrap an iterable (e.g. `click.progressbar`); it is called once per file, over its
    batches. Everything runs in one transaction: a failure leaves the database as it was."""
    with database.atomic():
        for table in TABLES:
            load_table(table, progress, data_dir)
    return {table.label: table.model.select().count() for table in TABLES}

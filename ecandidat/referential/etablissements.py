"""Import of the national school directory ("annuaire de l'éducation", CSV).

The file is the one data.education.gouv.fr publishes: semicolon-separated, UTF-8 (with
or without BOM), one row per school. It is richer and more recent than the lycée list
shipped with the app, so an import overwrites the schools it contains (upsert by UAI).
A wrong file is refused with an `EtablissementFileError` before anything is written.
"""
import csv
import re
import unicodedata

import filetype
from flask_babel import gettext as _

from ecandidat.db import database
from ecandidat.models.referential import Commune, Departement, Etablissement
from ecandidat.referential.loader import progress_over

BATCH_SIZE = 1000

# Model field -> column of the official file (matched without regard to case).
REQUIRED_COLUMNS = {
    "uai": "Identifiant_de_l_etablissement",
    "libelle": "Nom_etablissement",
    "type": "Type_etablissement",
    "code_postal": "Code_postal",
    "code_insee": "Code_commune",
    "ville": "Nom_commune",
    "departement": "Code_departement",
}
STATE_COLUMN = "Etat"  # optional: "OUVERT", "A FERMER", "FERME", "A OUVRIR"

# The directory's school types, as the short codes the app uses ("LYC" for lycées).
TYPES = {
    "LYCEE": "LYC",
    "COLLEGE": "CLG",
    "ECOLE": "ECOLE",
    "EREA": "EREA",
    "INFORMATION ET ORIENTATION": "CIO",
    "SERVICE ADMINISTRATIF": "ADM",
    "MEDICO-SOCIAL": "MEDSOC",
}

UAI_PATTERN = re.compile(r"\d{7}[A-Z]")
DELIMITERS = ";,\t"
SNIFF_BYTES = 64 * 1024


class EtablissementFileError(ValueError):
    """The file is not a usable school directory; the message says why, in French."""


def import_etablissements(path, progress=None):
    """Import the directory CSV at `path`; returns the number of schools imported.

    Schools are upserted by UAI and linked to the commune (INSEE code) and département
    when those are in the database (load the referential first). Rows without a valid
    UAI are skipped. `progress(iterable, length, label)` works as in `load_referential`.
    Raises EtablissementFileError for an empty, binary, non-UTF-8 or incomplete file."""
    check_content(path)
    communes = existing_codes(Commune.code_insee)
    departements = existing_codes(Departement.code)
    count = 0
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader, columns = open_reader(handle)
        rows = (to_row(record, columns, communes, departements) for record in reader)
        try:
            with database.atomic(), progress_over(
                    progress, rows, count_lines(path) - 1, _("Établissements")) as bar:
                batch = []
                for row in bar:
                    if row is None:
                        continue
                    batch.append(row)
                    if len(batch) == BATCH_SIZE:
                        count += upsert(batch)
                        batch = []
                count += upsert(batch)
        except UnicodeDecodeError as error:
            raise EtablissementFileError(_(
                "Encodage illisible vers la ligne %(line)s : le fichier doit être enregistré "
                "en UTF-8.", line=reader.line_num + 1)) from error
    if count == 0:
        raise EtablissementFileError(_("Le fichier ne contient aucun établissement "
                                       "(aucun identifiant UAI valide)."))
    return count


def existing_codes(field):
    """The primary keys already in a table, to link only to rows that exist."""
    return {code for (code,) in field.model.select(field).tuples().iterator()}


def check_content(path):
    """Refuse an empty or binary file before parsing it."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip():
        raise EtablissementFileError(_("Le fichier est vide."))
    kind = filetype.guess(head)
    if kind is not None:
        raise EtablissementFileError(_(
            "Ce fichier n'est pas un CSV (format détecté : %(kind)s). Téléchargez "
            "l'annuaire de l'éducation au format CSV.", kind=kind.extension.upper()))
    if b"\x00" in head:
        raise EtablissementFileError(_("Ce fichier n'est pas un fichier texte CSV."))
    try:
        # a multi-byte character may be cut at the end of the sample
        head.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:
            raise EtablissementFileError(_(
                "Encodage illisible : le fichier doit être enregistré en UTF-8.")) from error


def open_reader(handle):
    """A csv reader over the file and the index of each required column.

    Raises EtablissementFileError listing the required columns that are missing."""
    try:
        header_line = handle.readline()
    except UnicodeDecodeError as error:
        raise EtablissementFileError(_(
            "Encodage illisible : le fichier doit être enregistré en UTF-8.")) from error
    delimiter = max(DELIMITERS, key=header_line.count)
    header = next(csv.reader([header_line], delimiter=delimiter), [])
    positions = {name.strip().strip('"').lower(): index for index, name in enumerate(header)}
    missing = [column for column in REQUIRED_COLUMNS.values()
               if column.lower() not in positions]
    if missing:
        raise EtablissementFileError(_(
            "Ce fichier n'est pas l'annuaire de l'éducation : colonnes obligatoires "
            "absentes : %(columns)s.", columns=", ".join(missing)))
    columns = {field: positions[column.lower()] for field, column in REQUIRED_COLUMNS.items()}
    columns["etat"] = positions.get(STATE_COLUMN.lower())
    return csv.reader(handle, delimiter=delimiter), columns


def to_row(record, columns, communes, departements):
    """The Etablissement values of one CSV record, or None when it has no valid UAI."""
    def cell(field):
        index = columns.get(field)
        return record[index].strip() if index is not None and index < len(record) else ""

    uai = cell("uai").upper()
    if not UAI_PATTERN.fullmatch(uai):
        return None
    code_insee = pad(cell("code_insee"))
    departement = normalise_departement(cell("departement"))
    code_postal = pad(cell("code_postal"))
    state = cell("etat").upper()
    return (uai,
            cell("libelle") or uai,
            school_type(cell("type")),
            departement if departement in departements else None,
            code_insee if code_insee in communes else None,
            code_postal if re.fullmatch(r"\d{5}", code_postal) else None,
            cell("ville") or None,
            not state or state == "OUVERT")


def pad(code):
    """Spreadsheets drop leading zeros ("1053" for 01053)."""
    return code.zfill(5) if code.isdigit() and len(code) == 4 else code


def normalise_departement(code):
    """The directory writes départements on 3 characters: "086" -> "86", "02A" -> "2A";
    overseas ones stay as they are ("971")."""
    code = code.upper()
    return code[1:] if len(code) == 3 and code.startswith("0") else code


def school_type(label):
    """"Lycée" -> "LYC"; an unknown type is kept, upper-cased, without accents."""
    key = unicodedata.normalize("NFKD", label.upper()).encode("ascii", "ignore").decode()
    return TYPES.get(key, key[:40] or "AUTRE")


FIELDS = (Etablissement.uai, Etablissement.libelle, Etablissement.type,
          Etablissement.departement, Etablissement.commune, Etablissement.code_postal,
          Etablissement.ville, Etablissement.actif)


def upsert(batch):
    """Insert or update a batch of schools by UAI; returns the batch size."""
    if not batch:
        return 0
    unique = list({row[0]: row for row in batch}.values())  # a UAI twice in one batch
    (Etablissement.insert_many(unique, fields=list(FIELDS))
     .on_conflict(conflict_target=[Etablissement.uai], preserve=list(FIELDS[1:]))
     .as_rowcount().execute())
    return len(unique)


def count_lines(path):
    """Number of lines, for the progress bar (a quoted field may span lines: an estimate)."""
    lines = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            lines += block.count(b"\n")
    return max(lines, 1)

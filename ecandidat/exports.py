"""The console's outputs (SPEC §7, issue 8 §5): the Candidatures export (XLSX, CSV)
with columns chosen among those of eCandidat (ecandidat-domain §4.3), the ZIP of
dossier PDFs, and the dashboard per formation.

The export streams: the ids of the candidatures, in the list's order, come from a
server-side cursor (PostgreSQL; SQLite's cursor steps lazily anyway), `batch_size`
at a time; each batch is loaded with its related rows in one query per kind of
row (address, bac, last avis, motivation, tags, nationality), only for the chosen
columns. Memory holds one batch, never the whole list, and the number of queries
grows with the number of batches, not of rows.

Scope: the caller gives a query already narrowed by ecandidat.permissions (the
console list's), and each batch is narrowed again by the same scope."""
import contextlib
import csv
import datetime
import io
import logging
import shutil
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from peewee import JOIN, PostgresqlDatabase, fn

from ecandidat import clock, codes, dossiers, permissions, storage
from ecandidat.db import database
from ecandidat.models import (Adresse, Avis, BacSerie, Candidat, CandidatBac, Candidature, Centre,
                              Commission, CompteCandidat, Commune, Formation, MotivationAvis,
                              Pays)
from ecandidat.workflow import last_avis_by_candidature
from ecandidat.workflow.commission import tags_of

BATCH_SIZE = 200
CHUNK_SIZE = 64 * 1024
CSV_DELIMITER = ";"
DATE_FORMAT, DATETIME_FORMAT = "%d/%m/%Y", "%d/%m/%Y %H:%M"
XLSX_DATE_FORMAT, XLSX_DATETIME_FORMAT = "DD/MM/YYYY", "DD/MM/YYYY HH:MM"
# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

log = logging.getLogger("peewee")  # the statements run here are logged as peewee's are


# --- Columns ----------------------------------------------------------------------------

class Instant(datetime.datetime):
    """Marks a value as an instant (date and hour) rather than a calendar date."""


def _instant(value):
    """An aware UTC instant as a naive local one (spreadsheets know no time zone)."""
    if value is None:
        return None
    local = clock.local(value)
    return Instant(local.year, local.month, local.day, local.hour, local.minute)


def _yes_no(value):
    return str(_l("Oui")) if value else str(_l("Non"))


@dataclass(frozen=True)
class Column:
    """An exportable column: its key (the form's checkbox), its French label, its
    value for a candidature and its Batch, and the related rows it needs."""
    key: str
    label: object
    value: object
    needs: tuple = ()
    default: bool = False


def _avis(name, transform=lambda value: value):
    def value(candidature, batch):
        avis = batch.avis.get(candidature.id)
        return transform(getattr(avis, name)) if avis is not None else None
    return value


def _dernier_avis(candidature, batch):
    avis = batch.avis.get(candidature.id)
    return str(codes.TYPE_AVIS.label(avis.type_avis)) if avis else ""


def _avis_valide(candidature, batch):
    avis = batch.avis.get(candidature.id)
    return _yes_no(avis.valide) if avis else ""


def _motif(candidature, batch):
    avis = batch.avis.get(candidature.id)
    motivation = batch.motivations.get(avis.motivation_id) if avis else None
    return motivation.libelle if motivation else None


def _adresse(candidature, batch):
    adresse = batch.adresses.get(candidature.candidat.adresse_id)
    return ", ".join(adresse.lines()) if adresse else None


def _bac(name):
    def value(candidature, batch):
        bac = batch.bacs.get(candidature.candidat_id)
        if bac is None:
            return None
        if name == "serie":
            return bac.serie.libelle if bac.serie_id else None
        return bac.annee_obtention
    return value


def _nationalite(candidature, batch):
    pays = batch.pays.get(candidature.candidat.nationalite_id)
    return pays.nationalite if pays else None


def _ine(candidature, batch):
    candidat = candidature.candidat
    return f"{candidat.ine}{candidat.cle_ine or ''}" if candidat.ine else None


def _telephones(candidature, batch):
    candidat = candidature.candidat
    return " / ".join(t for t in (candidat.telephone, candidat.telephone_portable) if t) or None


def _tags(candidature, batch):
    return ", ".join(tag.libelle for tag in batch.tags.get(candidature.id, ())) or None


def _code(codes_set, name):
    return lambda candidature, batch: str(codes_set.label(getattr(candidature, name)))


def _field(name, transform=lambda value: value):
    return lambda candidature, batch: transform(getattr(candidature, name))


COLUMNS = (
    Column("numero_dossier", _l("N° de dossier"),
           lambda c, b: c.candidat.compte.numero_dossier, default=True),
    Column("civilite", _l("Civilité"), lambda c, b: str(codes.CIVILITE.label(c.candidat.civilite)),
           default=True),
    Column("nom", _l("Nom de naissance"), lambda c, b: c.candidat.nom_patronymique, default=True),
    Column("nom_usuel", _l("Nom d'usage"), lambda c, b: c.candidat.nom_usuel),
    Column("prenom", _l("Prénom"), lambda c, b: c.candidat.prenom, default=True),
    Column("date_naissance", _l("Date de naissance"), lambda c, b: c.candidat.date_naissance),
    Column("nationalite", _l("Nationalité"), _nationalite, needs=("pays",)),
    Column("ine", _l("INE"), _ine),
    Column("mail", _l("Adresse mail"), lambda c, b: c.candidat.compte.email, default=True),
    Column("telephone", _l("Téléphone"), _telephones),
    Column("adresse", _l("Adresse"), _adresse, needs=("adresses",)),
    Column("bac_annee", _l("Année d'obtention du bac"), _bac("annee"), needs=("bacs",)),
    Column("bac_serie", _l("Série du bac"), _bac("serie"), needs=("bacs",)),
    Column("formation_code", _l("Code de la formation"), lambda c, b: c.formation.code),
    Column("formation", _l("Formation"), lambda c, b: c.formation.libelle, default=True),
    Column("commission", _l("Commission"), lambda c, b: c.formation.commission.libelle),
    Column("date_candidature", _l("Date de candidature"), _field("created_at", _instant)),
    Column("statut", _l("Statut du dossier"), _code(codes.STATUT_DOSSIER, "statut"),
           default=True),
    Column("date_transmission", _l("Date de transmission"),
           _field("date_transmission", _instant), default=True),
    Column("date_reception", _l("Date de réception"), _field("date_reception", _instant)),
    Column("date_complet", _l("Date de passage à complet"), _field("date_complet", _instant)),
    Column("date_incomplet", _l("Date de passage à incomplet"),
           _field("date_incomplet", _instant)),
    Column("type_traitement", _l("Type de traitement"),
           _code(codes.TYPE_TRAITEMENT, "type_traitement"), default=True),
    Column("type_traitement_valide", _l("Type de traitement validé"),
           _field("type_traitement_valide", _yes_no)),
    Column("avis", _l("Dernier avis"), _dernier_avis, needs=("avis",), default=True),
    Column("avis_valide", _l("Avis validé"), _avis_valide, needs=("avis",), default=True),
    Column("date_validation", _l("Date de validation de l'avis"), _avis("valide_le", _instant),
           needs=("avis",)),
    Column("motif", _l("Motivation de l'avis"), _motif, needs=("avis", "motivations")),
    Column("commentaire", _l("Commentaire de l'avis"), _avis("commentaire"), needs=("avis",)),
    Column("rang", _l("Rang en liste complémentaire"), _avis("rang"), needs=("avis",)),
    # The place in the queue as ecandidat.workflow.decision last computed it.
    Column("rang_reel", _l("Rang réel"), _avis("rang_reel"), needs=("avis",)),
    Column("confirmation", _l("Confirmation / désistement"),
           lambda c, b: str(codes.CONFIRMATION.label(c.confirmation)), default=True),
    Column("date_confirmation", _l("Date de confirmation ou de désistement"),
           _field("date_confirmation", _instant)),
    Column("motif_desistement", _l("Motif du désistement"), _field("motif_desistement")),
    Column("date_retour_manuelle", _l("Date limite de retour (manuelle)"),
           _field("date_retour_manuelle")),
    Column("date_confirmation_manuelle", _l("Date limite de confirmation (manuelle)"),
           _field("date_confirmation_manuelle")),
    Column("tags", _l("Tags"), _tags, needs=("tags",)),
    Column("bloc_notes", _l("Bloc-notes"), _field("bloc_notes")),
)
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}
DEFAULT_COLUMNS = tuple(column.key for column in COLUMNS if column.default)


def columns_for(keys):
    """The Columns of these keys, in the order of COLUMNS (unknown keys ignored)."""
    wanted = set(keys)
    return [column for column in COLUMNS if column.key in wanted]


# --- Rows, batch by batch ---------------------------------------------------------------

@dataclass
class Batch:
    """One batch of candidatures and their related rows, keyed for the Columns."""
    candidatures: dict
    adresses: dict = field(default_factory=dict)
    bacs: dict = field(default_factory=dict)
    pays: dict = field(default_factory=dict)
    avis: dict = field(default_factory=dict)
    motivations: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)


def stream_ids(query, batch_size=BATCH_SIZE):
    """The ids of the candidatures of `query` in its order (ties by id), as lists of
    at most `batch_size`; on PostgreSQL through a server-side cursor, so that the
    database sends them batch by batch. Iterate it inside a transaction."""
    ids = query.select(Candidature.id).order_by_extend(Candidature.id).tuples()
    sql, params = ids.sql()
    db = database.obj
    log.debug((sql, params))
    if isinstance(db, PostgresqlDatabase):
        cursor = db.connection().cursor(name=f"export_{uuid.uuid4().hex}")
    else:
        cursor = db.cursor()
    try:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(batch_size)
            if not rows:
                return
            yield [row[0] for row in rows]
    finally:
        cursor.close()


def load_batch(scope, ids, needs):
    """The candidatures with these ids that `scope` sees (with their candidate,
    account, formation and commission) and the related rows `needs` names, one
    query each."""
    query = (Candidature.select(Candidature, Candidat, CompteCandidat, Formation, Commission)
             .join(Candidat).join(CompteCandidat)
             .switch(Candidature).join(Formation).join(Commission)
             .where(Candidature.id.in_(ids)))
    batch = Batch({c.id: c for c in permissions.visible_candidatures(scope, query)})
    candidats = [c.candidat for c in batch.candidatures.values()]
    if not candidats:
        return batch
    if "adresses" in needs:
        adresse_ids = {c.adresse_id for c in candidats if c.adresse_id}
        if adresse_ids:
            batch.adresses = {a.id: a for a in (
                Adresse.select(Adresse, Commune, Pays)
                .join_from(Adresse, Commune, JOIN.LEFT_OUTER)
                .join_from(Adresse, Pays, JOIN.LEFT_OUTER)
                .where(Adresse.id.in_(sorted(adresse_ids))))}
    if "bacs" in needs:
        batch.bacs = {b.candidat_id: b for b in (
            CandidatBac.select(CandidatBac, BacSerie)
            .join(BacSerie, JOIN.LEFT_OUTER)
            .where(CandidatBac.candidat.in_(sorted({c.id for c in candidats}))))}
    if "pays" in needs:
        pays_codes = {c.nationalite_id for c in candidats if c.nationalite_id}
        if pays_codes:
            batch.pays = {p.code: p for p in Pays.select().where(
                Pays.code.in_(sorted(pays_codes)))}
    if "avis" in needs:
        batch.avis = last_avis_by_candidature(list(batch.candidatures))
    if "motivations" in needs:
        motivation_ids = {a.motivation_id for a in batch.avis.values() if a.motivation_id}
        if motivation_ids:
            batch.motivations = {m.id: m for m in MotivationAvis.select().where(
                MotivationAvis.id.in_(sorted(motivation_ids)))}
    if "tags" in needs:
        batch.tags = tags_of(list(batch.candidatures))
    return batch


def candidature_rows(scope, query, columns, batch_size=BATCH_SIZE):
    """For each candidature of `query` (already narrowed to `scope`), in its order,
    the list of its values for `columns`: a generator that holds one batch at a
    time. It reads inside one transaction (the server-side cursor needs it), which
    ends with the iteration, or when the download is abandoned (generator closed)."""
    needs = {need for column in columns for need in column.needs}
    with database.atomic(), contextlib.closing(stream_ids(query, batch_size)) as batches:
        for ids in batches:
            batch = load_batch(scope, ids, needs)
            for candidature_id in ids:
                candidature = batch.candidatures.get(candidature_id)
                if candidature is not None:
                    yield [column.value(candidature, batch) for column in columns]


# --- File formats -----------------------------------------------------------------------

def _text(value):
    if value is None:
        return ""
    if isinstance(value, Instant):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, datetime.date):
        return value.strftime(DATE_FORMAT)
    return str(value)


def _csv_safe(text):
    """Text a spreadsheet opening the CSV file shows as typed, never as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_chunks(columns, rows):
    """The CSV file, chunk by chunk: UTF-8 with a byte order mark (Excel reads it
    so), semicolon-separated, dates as dd/mm/yyyy."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([str(column.label) for column in columns])
    for values in rows:
        writer.writerow([_csv_safe(_text(value)) for value in values])
        if buffer.tell() >= CHUNK_SIZE:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx_cell(sheet, value):
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # never a formula, whatever its first character
        return cell
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, Instant):
        cell.number_format = XLSX_DATETIME_FORMAT
    elif isinstance(value, datetime.date):
        cell.number_format = XLSX_DATE_FORMAT
    return cell


def xlsx_chunks(columns, rows, title):
    """The XLSX file, chunk by chunk. openpyxl's write-only mode writes each row to
    a temporary file as it comes; the workbook is then zipped into another
    temporary file, read back in chunks."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(title)[:31])
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.label))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for values in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in values])
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while True:
            chunk = handle.read(CHUNK_SIZE)
            if not chunk:
                return
            yield chunk


# --- Dossiers ---------------------------------------------------------------------------

class SelectionRefused(ValueError):
    """A selection of dossiers refused as a whole; `message` is French."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def dossiers_selected(scope, ids, maximum):
    """The candidatures of the selected `ids` (any text from the form), with their
    candidate, account, formation and commission, in id order; every one must be
    in `scope`, and at most `maximum`: else SelectionRefused and nothing is sent."""
    try:
        wanted = sorted({int(i) for i in ids})
    except (TypeError, ValueError):
        raise SelectionRefused(_l("La sélection est invalide.")) from None
    if not wanted:
        raise SelectionRefused(_l("Sélectionnez au moins une candidature."))
    if len(wanted) > maximum:
        raise SelectionRefused(_l(
            "Vous pouvez télécharger au plus %(n)s dossiers à la fois : sélectionnez moins "
            "de candidatures.", n=maximum))
    query = (Candidature.select(Candidature, Candidat, CompteCandidat, Formation, Commission)
             .join(Candidat).join(CompteCandidat)
             .switch(Candidature).join(Formation).join(Commission)
             .where(Candidature.id.in_(wanted)).order_by(Candidature.id))
    found = list(permissions.visible_candidatures(scope, query))
    if len(found) != len(wanted):
        raise SelectionRefused(_l(
            "La sélection contient %(n)s candidature(s) inexistante(s) ou hors de votre "
            "périmètre : aucun dossier n'a été téléchargé.", n=len(wanted) - len(found)))
    return found


def dossier_name(candidature):
    """The file name of a dossier PDF (as the candidate downloads it)."""
    return (f"dossier-{candidature.candidat.compte.numero_dossier}-"
            f"{candidature.formation.code}.pdf")


def dossiers_zip(candidatures, handle):
    """Write into the file `handle` a ZIP holding the dossier PDF of each candidature:
    the stored file of a transmitted one (ecandidat.dossiers; built now if need be),
    else its draft, one draft in memory at a time. dossiers.NotReady when one of them
    cannot be given now."""
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
        for candidature in candidatures:
            with dossiers.opened(candidature) as source, \
                    archive.open(dossier_name(candidature), "w") as target:
                shutil.copyfileobj(source, target)
    return handle


# --- Dashboard per formation --------------------------------------------------------------

@dataclass
class FormationStats:
    """The counts of one formation (or of the total line: `formation` None)."""
    formation: object = None
    candidatures: int = 0
    statuts: dict = field(default_factory=dict)      # STATUT_DOSSIER code → count
    avis: dict = field(default_factory=dict)         # (TYPE_AVIS code, validé) → count
    sans_avis: int = 0
    confirmees: int = 0
    desistees: int = 0
    annulees: int = None                             # None: not shown to this scope
    capacite: int = None
    liste_complementaire: int = 0                    # the queue's length (decision.lc_queue)
    motifs: list = field(default_factory=list)       # the désistements' reasons given

    def add(self, other):
        self.candidatures += other.candidatures
        for code, count in other.statuts.items():
            self.statuts[code] = self.statuts.get(code, 0) + count
        for key, count in other.avis.items():
            self.avis[key] = self.avis.get(key, 0) + count
        self.sans_avis += other.sans_avis
        self.confirmees += other.confirmees
        self.desistees += other.desistees
        self.liste_complementaire += other.liste_complementaire
        if other.annulees is not None:
            self.annulees = (self.annulees or 0) + other.annulees
        if other.capacite is not None:
            self.capacite = (self.capacite or 0) + other.capacite


def formation_stats(scope):
    """([FormationStats] of each formation `scope` sees, the total FormationStats).

    Candidatures counted are those the user's Candidatures list shows (scope);
    cancelled ones are counted apart for gestionnaires and administrators (a membre
    de commission never sees them). Six queries whatever the number of formations:
    the formations, then counts (GROUP BY) by statut and answer, by last avis, of
    the liste complémentaire, the désistements' reasons and the cancelled ones."""
    formations = list(permissions.visible_formations(scope, (
        Formation.select(Formation, Commission, Centre).join(Commission).join(Centre)
        .order_by(Centre.libelle, Commission.libelle, Formation.libelle, Formation.id))))
    stats = {f.id: FormationStats(formation=f, capacite=f.capacite,
                                  annulees=None if scope.transmitted_only else 0)
             for f in formations}
    live = permissions.visible_candidatures(scope, Candidature.select(
        Candidature.formation, Candidature.statut, Candidature.confirmation,
        fn.COUNT(Candidature.id).alias("n")))
    for formation_id, statut, confirmation, count in (
            live.group_by(Candidature.formation, Candidature.statut, Candidature.confirmation)
            .tuples()):
        row = stats.get(formation_id)
        if row is None:
            continue
        row.candidatures += count
        row.statuts[statut] = row.statuts.get(statut, 0) + count
        if confirmation == "CONFIRME":
            row.confirmees += count
        elif confirmation == "DESISTE":
            row.desistees += count
    last = Avis.alias()
    last_id = last.select(fn.MAX(last.id)).where(last.candidature == Candidature.id)
    with_avis = permissions.visible_candidatures(scope, (
        Candidature.select(Candidature.formation, Avis.type_avis, Avis.valide,
                           fn.COUNT(Candidature.id).alias("n"))
        .join(Avis, on=(Avis.candidature == Candidature.id))
        .where(Avis.id == last_id)))
    for formation_id, type_avis, valide, count in (
            with_avis.group_by(Candidature.formation, Avis.type_avis, Avis.valide).tuples()):
        row = stats.get(formation_id)
        if row is not None:
            key = (type_avis, bool(valide))
            row.avis[key] = row.avis.get(key, 0) + count
    # The liste complémentaire of each formation: the candidatures ecandidat.workflow.
    # decision.lc_queue lists (last avis a validated LC with a rang), counted per formation.
    queue = permissions.visible_candidatures(scope, (
        Candidature.select(Candidature.formation, fn.COUNT(Candidature.id))
        .join(Avis, on=(Avis.candidature == Candidature.id))
        .where(Avis.id == last_id, Avis.type_avis == "LC", Avis.valide,
               Avis.rang.is_null(False), Candidature.date_annulation.is_null())))
    for formation_id, count in queue.group_by(Candidature.formation).tuples():
        if formation_id in stats:
            stats[formation_id].liste_complementaire = count
    reasons = permissions.visible_candidatures(scope, (
        Candidature.select(Candidature.formation, Candidature.motif_desistement)
        .where(Candidature.confirmation == "DESISTE",
               Candidature.motif_desistement.is_null(False))
        .order_by(Candidature.date_confirmation, Candidature.id)))
    for formation_id, motif in reasons.tuples():
        if formation_id in stats:
            stats[formation_id].motifs.append(motif)
    if not scope.transmitted_only and formations:
        seen = permissions.visible_formations(scope, Formation.select(Formation.id))
        cancelled = (Candidature.select(Candidature.formation, fn.COUNT(Candidature.id))
                     .where(Candidature.formation.in_(seen),
                            Candidature.date_annulation.is_null(False))
                     .group_by(Candidature.formation).tuples())
        for formation_id, count in cancelled:
            stats[formation_id].annulees = count
    total = FormationStats(annulees=None if scope.transmitted_only else 0)
    for row in stats.values():
        row.sans_avis = row.candidatures - sum(row.avis.values())
        total.add(row)
    return list(stats.values()), total

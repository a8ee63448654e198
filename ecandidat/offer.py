"""The public offer (Offre de formation) as plain rows: read rarely, sorted once,
cached, and never stale, whatever the number of processes.

Invalidation, decided once for every process: by key, never by deletion.
- `current_stamp()` reads `offer_stamp` (one row, one small query): a
  version and a time that the database itself moves, in the writing transaction, on
  every INSERT, UPDATE, DELETE (and TRUNCATE on PostgreSQL) of formation, commission,
  centre, type_diplome and campagne (triggers of migrations/0006_offer_version.py).
  Every writer is covered without knowing of the cache: a save in the Flask-Admin
  console, a bulk `Model.update()` or `.delete()`, the CLI, the demo, a SQL session.
  No reader sees the new stamp before the change is committed.
- The offer is cached under (stamp, today): each gunicorn worker's own memory cache
  (or the Redis shared by all) is keyed by what every worker reads from the one
  database, so a worker never serves an offer older than the last commit and no
  worker needs to be told. Today is in the key because "Candidatures fermées"
  depends on the date. The time in the stamp keeps a key unique even if the
  counter went back (a database restored from a backup).
- Per campaign: the offer shows every offered formation (a formation without a
  campagne belongs to every campaign, and applying does not filter on it); which
  campaign is active follows from the campagne rows (in the stamp) and the day (in
  the key), so a campaign edited, opened or closed makes a new key.
- Only what the page uses is cached: per formation its id, titre, mots clés, dates,
  mode, whether it is open today, its centre and type de diplôme (id, libellé) and a
  folded text to search in; plain values, no model object with lazy relations.
- The rows are sorted once, when built (centre, type de diplôme by `ordre`,
  formation); a search filters the sorted list and keeps its order.
- A miss reads the stamp again with the rows, in one snapshot (a REPEATABLE READ
  transaction on PostgreSQL, a read transaction on SQLite in WAL mode), so the rows
  stored under a stamp are exactly those of that stamp.
"""
import unicodedata
from time import monotonic
from collections import namedtuple

from peewee import PostgresqlDatabase

from ecandidat import cache
from ecandidat.db import database
from ecandidat.models import Centre, Commission, Formation, TypeDiplome
from ecandidat.models.catalog import OfferStamp

# Longer searches are cut: nobody types more, and it bounds the matching work.
MAX_SEARCH_LENGTH = 200

Stamp = namedtuple("Stamp", "version changed_at")
OfferRow = namedtuple("OfferRow", (
    "id libelle mots_cles date_debut_depot date_fin_depot demat is_open "
    "centre_id centre_libelle type_id type_libelle haystack"))
Offer = namedtuple("Offer", "stamp today rows")
CentreGroup = namedtuple("CentreGroup", "id libelle count types")
TypeGroup = namedtuple("TypeGroup", "id libelle formations")

# Changes whenever OfferRow does: a cache (Redis) may still hold rows pickled by the
# previous release.
ROW_FORMAT = "r1-" + "-".join(OfferRow._fields)
NO_STAMP = Stamp(0, None)


# --- Search ------------------------------------------------------------------------------

def fold(text):
    """`text` lower-cased and without accents: "Médecine" and "MEDECINE" both give "medecine"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def search_words(query):
    """The folded words of a search; empty when there is nothing to search."""
    return fold((query or "")[:MAX_SEARCH_LENGTH]).split()


def matching(rows, words):
    """The rows whose libellé, mots clés, code or centre hold every word, in order."""
    if not words:
        return list(rows)
    return [row for row in rows if all(word in row.haystack for word in words)]


# --- Stamp and rows ------------------------------------------------------------------------

def current_stamp():
    """The offer's version: (version, changed_at as an aware UTC datetime)."""
    row = (OfferStamp.select(OfferStamp.version, OfferStamp.changed_at)
           .where(OfferStamp.id == 1).tuples().first())
    return Stamp(*row) if row else NO_STAMP


# Per database URL: (monotonic time of the read, stamp) of this process's last read.
_last_read = {}


def recent_stamp(database_url, max_age):
    """The stamp as read at most `max_age` seconds ago by this process.

    The public offer page asks on every request; at a deadline peak most of them are
    anonymous visitors whose whole page is cached, and reading the stamp (and, first,
    connecting) would then be most of their cost. So a change reaches each process
    within `max_age` seconds (OFFER_STAMP_MAX_AGE, 1 s by default; 0: every request
    reads it), instead of at its next request."""
    if max_age <= 0:
        return current_stamp()
    now = monotonic()
    read = _last_read.get(database_url)
    if read is None or now - read[0] >= max_age:
        read = _last_read[database_url] = (now, current_stamp())
    return read[1]


def _sort_key(row, type_ordre):
    """Centre by libellé, type de diplôme by `ordre`, formation by libellé.

    Sorted here rather than in SQL so that SQLite and PostgreSQL (whose collations
    differ on case and accents) give the same order."""
    return (fold(row.centre_libelle), row.centre_id, type_ordre, fold(row.type_libelle),
            row.type_id, fold(row.libelle), row.id)


def read_rows(today):
    """The offered formations (active, of an active commission and centre), only the
    columns the page uses, in display order."""
    query = (Formation
             .select(Formation.id, Formation.libelle, Formation.mots_cles,
                     Formation.date_debut_depot, Formation.date_fin_depot, Formation.demat,
                     Formation.code, Centre.id, Centre.libelle, TypeDiplome.id,
                     TypeDiplome.libelle, TypeDiplome.ordre)
             .join(TypeDiplome).switch(Formation)
             .join(Commission).join(Centre)
             .where(Formation.actif, Commission.actif, Centre.actif)
             .tuples())
    keyed = []
    for (id_, libelle, mots_cles, debut, fin, demat, code, centre_id, centre_libelle,
         type_id, type_libelle, type_ordre) in query:
        row = OfferRow(id_, libelle, mots_cles, debut, fin, demat, debut <= today <= fin,
                       centre_id, centre_libelle, type_id, type_libelle,
                       fold(" ".join((libelle, mots_cles or "", code, centre_libelle))))
        keyed.append((_sort_key(row, type_ordre), row))
    keyed.sort(key=lambda pair: pair[0])
    return tuple(row for _, row in keyed)


def _snapshot():
    """A transaction in which the stamp and the rows are read from one state."""
    if isinstance(database.obj, PostgresqlDatabase):
        return database.atomic(isolation_level="REPEATABLE READ")
    return database.atomic()


def build_offer(today):
    """The offer of `today` read from the database (no cache), with its stamp."""
    if database.in_transaction():  # already one state (a caller's transaction)
        return Offer(current_stamp(), today, read_rows(today))
    with _snapshot():
        return Offer(current_stamp(), today, read_rows(today))


def cache_key(kind, stamp, today, *more):
    parts = (kind, ROW_FORMAT, stamp.version,
             stamp.changed_at.isoformat() if stamp.changed_at else "-", today.isoformat())
    return ":".join(str(part) for part in parts + more)


def offer_for(stamp, today):
    """The offer of `stamp` and `today`, from the cache, else built and cached.

    When the offer changed since `stamp` was read, the offer built is the newer one
    (its own stamp tells): a cached entry never holds another state than its key's."""
    offer = cache.get(cache_key("offer", stamp, today))
    if isinstance(offer, Offer):
        return offer
    offer = build_offer(today)
    cache.put(cache_key("offer", offer.stamp, today), offer)
    return offer


def grouped(rows):
    """[CentreGroup] of [TypeGroup] of rows, for rows already in display order."""
    centres = []
    for row in rows:
        if not centres or centres[-1].id != row.centre_id:
            centres.append(CentreGroup(row.centre_id, row.centre_libelle, 0, []))
        types = centres[-1].types
        if not types or types[-1].id != row.type_id:
            types.append(TypeGroup(row.type_id, row.type_libelle, []))
        types[-1].formations.append(row)
    return [group._replace(count=sum(len(kind.formations) for kind in group.types))
            for group in centres]

"""An index on piece_candidat.fichier: the `fichiers` job and `flask invariants` ask
which stored names rows refer to, by lists of names (WHERE fichier IN (…)); without
it each list read the whole table (at 100,000 candidatures: 400,000 files checked
against 700,000 rows, 800 full scans)."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_index('piece_candidat', ('fichier',), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('piece_candidat', 'piece_candidat_fichier'))

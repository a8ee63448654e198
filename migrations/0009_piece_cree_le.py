"""piece_justificative.cree_le: when the piece was first asked. `flask invariants`
reports a transmitted candidature lacking a piece only if the piece was asked at the
transmission; one added to the catalogue since is not an impossible state (the
commission puts the dossier back to Incomplet if it needs it). Existing pieces get
NULL: their date is unknown, so they count as always asked."""
from peewee import *

from ecandidat.db import UTCDateTimeField


def up(migrator, db):
    migrator.migrate(migrator.add_column('piece_justificative', 'cree_le',
                                         UTCDateTimeField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('piece_justificative', 'cree_le'))

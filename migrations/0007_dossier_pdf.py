"""The stored dossier PDF of a transmitted candidature (issue 11): the stored file's
name and the fingerprint of what it shows (ecandidat.dossiers)."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('candidature', 'dossier_pdf', CharField(null=True)),
        migrator.add_column('candidature', 'dossier_empreinte',
                            CharField(max_length=64, null=True)))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('candidature', 'dossier_pdf'),
        migrator.drop_column('candidature', 'dossier_empreinte'))

"""The console's Candidatures list at 100,000 candidatures (issue 11 §5): indexes the
database walks for its orders, newest transmission first (the default, ended by the id
so that the order is total) and by nom or prénom, stopping after a page instead of
sorting every candidature."""
from peewee import *

INDEXES = (("candidature", ("date_transmission", "id")),
           ("candidat", ("nom_patronymique",)),
           ("candidat", ("prenom",)))


def up(migrator, db):
    migrator.migrate(*(migrator.add_index(table, columns, False) for table, columns in INDEXES))


def down(migrator, db):
    migrator.migrate(*(migrator.drop_index(table, f"{table}_{'_'.join(columns)}")
                       for table, columns in INDEXES))

"""The console's Candidatures list at 100,000 candidatures (issue 11 §5): indexes the
database walks for its orders, newest transmission first (the default, ended by the id
so that the order is total; only the live candidatures, those the list shows) and by
nom or prénom, stopping after a page instead of sorting every candidature."""
from peewee import *

# The default order of the live candidatures: PostgreSQL walks the partial index (not
# the next one for an IS NULL), SQLite the next one (it prefers the index on
# date_annulation alone to the partial one).
ORDER_INDEX = ('CREATE INDEX IF NOT EXISTS "candidature_date_transmission_id" '
               'ON "candidature" ("date_transmission", "id") WHERE date_annulation IS NULL')
INDEXES = (("candidature", ("date_annulation", "date_transmission", "id")),
           ("candidat", ("nom_patronymique",)),
           ("candidat", ("prenom",)))


def up(migrator, db):
    db.execute_sql(ORDER_INDEX)
    migrator.migrate(*(migrator.add_index(table, columns, False) for table, columns in INDEXES))


def down(migrator, db):
    migrator.migrate(*(migrator.drop_index(table, f"{table}_{'_'.join(columns)}")
                       for table, columns in INDEXES))
    db.execute_sql('DROP INDEX IF EXISTS "candidature_date_transmission_id"')

"""A gestionnaire de centre may be limited to some commissions of their centre
(gestionnaire_centre.toutes_commissions off, the commissions in gestionnaire_commission;
on, as before: every commission of the centre).
A commission says whether candidates read its comment on an avis
(commission.afficher_commentaire, on by default)."""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Commission(Model):
        class Meta:
            database = db
            table_name = 'commission'

    class GestionnaireCommission(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        commission = ForeignKeyField(Commission, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'gestionnaire_commission'
            indexes = ((('user', 'commission'), True),)

    db.create_tables([GestionnaireCommission])
    migrator.migrate(migrator.add_column('commission', 'afficher_commentaire',
                                         BooleanField(default=True)),
                     migrator.add_column('gestionnaire_centre', 'toutes_commissions',
                                         BooleanField(default=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('commission', 'afficher_commentaire'),
                     migrator.drop_column('gestionnaire_centre', 'toutes_commissions'))
    db.execute_sql('DROP TABLE "gestionnaire_commission"')

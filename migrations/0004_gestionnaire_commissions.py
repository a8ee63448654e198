"""A gestionnaire de centre may be limited to some commissions of their centre
(gestionnaire_commission; no row: every commission of the centre, as before).
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
                                         BooleanField(default=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('commission', 'afficher_commentaire'))
    db.execute_sql('DROP TABLE "gestionnaire_commission"')

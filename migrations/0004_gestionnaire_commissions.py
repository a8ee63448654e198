"""A gestionnaire de centre may be limited to some commissions of their centre
(gestionnaire_commission; no row: every commission of the centre, as before)."""
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


def down(migrator, db):
    db.execute_sql('DROP TABLE "gestionnaire_commission"')

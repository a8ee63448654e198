"""Single sign-on through the institution's OpenID provider (issue 10 §2): a candidate
account and a console user remember the identity they are linked to (issuer and `sub`),
so that later logins follow `sub`, not an e-mail address that may change hands. One
account per identity: a unique index on the pair (rows without a link hold NULLs, which
never collide)."""
from peewee import *

TABLES = ("compte_candidat", "user")


def up(migrator, db):
    for table in TABLES:
        migrator.migrate(migrator.add_column(table, "sso_issuer", CharField(null=True)),
                         migrator.add_column(table, "sso_subject", CharField(null=True)),
                         migrator.add_index(table, ("sso_issuer", "sso_subject"), True))


def down(migrator, db):
    for table in TABLES:
        migrator.migrate(migrator.drop_index(table, f"{table}_sso_issuer_sso_subject"),
                         migrator.drop_column(table, "sso_subject"),
                         migrator.drop_column(table, "sso_issuer"))

"""English (issue 10 §1): the console user's chosen language, and the English version
of each mail template. The stored templates whose French text is still the default get
the default English text; one edited in the console keeps no English version (its
English readers get the edited French text rather than a default that may say
something else) until someone writes it."""
from peewee import *

def up(migrator, db):
    migrator.migrate(
        migrator.add_column('user', 'langue', CharField(max_length=5, null=True)),
        migrator.add_column('mail_template', 'sujet_en', CharField(null=True)),
        migrator.add_column('mail_template', 'corps_en', TextField(null=True)))
    from ecandidat.mail_defaults import DEFAULT_TEMPLATES, ENGLISH_TEMPLATES
    rows = db.execute_sql('SELECT id, code, sujet, corps FROM mail_template').fetchall()
    for row_id, code, sujet, corps in rows:
        if code not in ENGLISH_TEMPLATES or code not in DEFAULT_TEMPLATES:
            continue
        _, default_sujet, default_corps = DEFAULT_TEMPLATES[code]
        if (sujet, corps) != (default_sujet, default_corps):
            continue
        sujet_en, corps_en = ENGLISH_TEMPLATES[code]
        db.execute_sql('UPDATE mail_template SET sujet_en = %s, corps_en = %s WHERE id = %s'
                       % ((db.param,) * 3), (sujet_en, corps_en, row_id))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('user', 'langue'),
        migrator.drop_column('mail_template', 'sujet_en'),
        migrator.drop_column('mail_template', 'corps_en'))

"""After the decision (issue 9): the désistement's reason, the reminder before the
date de retour, each commission's letter texts, a campaign's destruction date and
the scheduled jobs' runs (job_run, also their lock)."""
from peewee import *
from ecandidat.db import UTCDateTimeField


def up(migrator, db):
    class JobRun(Model):
        name = CharField(max_length=40, primary_key=True)
        running_since = UTCDateTimeField(null=True)
        started_at = UTCDateTimeField(null=True)
        finished_at = UTCDateTimeField(null=True)
        runs = IntegerField(default=0)
        last_report = TextField(null=True)
        last_error = TextField(null=True)

        class Meta:
            database = db
            table_name = 'job_run'

    db.create_tables([JobRun])
    migrator.migrate(
        migrator.add_column('candidature', 'relance_transmission_envoyee',
                            BooleanField(default=False)),
        migrator.add_column('candidature', 'motif_desistement', TextField(null=True)),
        migrator.add_column('commission', 'lettre_admission', TextField(null=True)),
        migrator.add_column('commission', 'lettre_refus', TextField(null=True)),
        migrator.add_column('campagne', 'detruite_le', UTCDateTimeField(null=True)))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('candidature', 'relance_transmission_envoyee'),
        migrator.drop_column('candidature', 'motif_desistement'),
        migrator.drop_column('commission', 'lettre_admission'),
        migrator.drop_column('commission', 'lettre_refus'),
        migrator.drop_column('campagne', 'detruite_le'))
    db.execute_sql('DROP TABLE "job_run"')

"""The scheduled jobs' runs: one row per job, which is also its lock."""
from peewee import CharField, IntegerField, TextField

from ecandidat.db import BaseModel, UTCDateTimeField


class JobRun(BaseModel):
    """`running_since` is set while the job runs (taken by a conditional UPDATE, so
    two runs started at once never both run); the last report stays readable."""
    name = CharField(max_length=40, primary_key=True)
    running_since = UTCDateTimeField(null=True)
    started_at = UTCDateTimeField(null=True)
    finished_at = UTCDateTimeField(null=True)
    runs = IntegerField(default=0)
    last_report = TextField(null=True)
    last_error = TextField(null=True)


MODELS = [JobRun]

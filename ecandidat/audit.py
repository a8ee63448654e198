"""The audit trail: one row per change, with the values before and after."""
import datetime
import json

from peewee import Model

from ecandidat.models import AuditLog


def _jsonable(values):
    def convert(value):
        if isinstance(value, (datetime.date, datetime.datetime)):
            return value.isoformat()
        if isinstance(value, Model):  # a foreign key: its id
            return value._pk
        return value
    return json.dumps({k: convert(v) for k, v in values.items()}, ensure_ascii=False,
                      sort_keys=True) if values is not None else None


def record(actor, action, instance, before=None, after=None):
    """Write an audit row for `instance` (call it inside the change's transaction).

    The instance's secret fields (password hash, tokens) are left out of both sides."""
    secrets = getattr(instance, "secret_fields", ())
    before, after = ({k: v for k, v in values.items() if k not in secrets}
                     if values is not None else None for values in (before, after))
    return AuditLog.create(actor=actor, action=action, table=instance._meta.table_name,
                           record_id=instance._pk, before=_jsonable(before),
                           after=_jsonable(after))


def snapshot(instance, fields):
    return {name: getattr(instance, name) for name in fields}

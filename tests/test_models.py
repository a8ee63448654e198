"""Every model round-trips on the database under test; formation dates are ordered."""
import datetime
from zoneinfo import ZoneInfo

import pytest
from peewee import (AutoField, BooleanField, CharField, DateField, DateTimeField,
                    ForeignKeyField, IntegerField, TextField, sort_models)

from ecandidat.models import ALL_MODELS, Formation, FormationDateError

SAMPLE_DATE = datetime.date(2024, 5, 17)
# An instant given in Paris time comes back as the same instant (stored in UTC).
SAMPLE_DATETIME = datetime.datetime(2024, 5, 17, 12, 30, 15, tzinfo=ZoneInfo("Europe/Paris"))


def sample_value(field, created):
    if isinstance(field, ForeignKeyField):
        return created[field.rel_model]
    if isinstance(field, BooleanField):
        return True
    if isinstance(field, IntegerField):
        return 7
    if isinstance(field, DateTimeField):
        return SAMPLE_DATETIME
    if isinstance(field, DateField):
        return SAMPLE_DATE
    if isinstance(field, TextField):
        return "Texte accentué ✓\nsur deux lignes"
    if isinstance(field, CharField):
        return ("é" + field.name)[:field.max_length]
    raise AssertionError(f"no sample value for {field}")


def sample_row(model, created):
    values = {}
    for field in model._meta.sorted_fields:
        if isinstance(field, AutoField):
            continue
        values[field.name] = sample_value(field, created)
    if model is Formation:  # a date and a delay of confirmation exclude each other
        values.update(delai_confirmation=None, delai_confirmation_lc=None)
    return values


def test_every_model_round_trips(app):
    created = {}
    for model in sort_models(list(ALL_MODELS)):
        values = sample_row(model, created)
        instance = model.create(**values)
        created[model] = instance
        reloaded = model.get_by_id(instance._pk)
        for name, expected in values.items():
            actual = getattr(reloaded, name)
            if isinstance(model._meta.fields[name], ForeignKeyField):
                actual, expected = actual._pk, expected._pk
            assert actual == expected, f"{model.__name__}.{name}"
    assert len(created) == len(ALL_MODELS)


def test_foreign_keys_and_filter_columns_are_indexed():
    unindexed = [f"{m.__name__}.{f.name}" for m in ALL_MODELS for f in m._meta.sorted_fields
                 if isinstance(f, ForeignKeyField) and not (f.index or f.unique)]
    assert unindexed == []


def make_formation(**dates):
    base = dict(date_debut_depot=datetime.date(2025, 3, 1),
                date_fin_depot=datetime.date(2025, 4, 30),
                date_retour=datetime.date(2025, 5, 10))
    base.update(dates)
    return Formation(code="F1", libelle="Formation", **base)


@pytest.mark.parametrize("dates, field, message", [
    ({"date_fin_depot": datetime.date(2025, 2, 1)}, "date_fin_depot",
     "La date de fin de dépôt doit être postérieure ou égale à la date de début de dépôt."),
    ({"date_retour": datetime.date(2025, 4, 1)}, "date_retour",
     "La date limite de retour doit être postérieure ou égale à la date de fin de dépôt."),
    ({"date_preanalyse": datetime.date(2025, 4, 1)}, "date_preanalyse",
     "La date de pré-analyse doit être postérieure ou égale à la date de fin de dépôt."),
    ({"date_jury": datetime.date(2025, 5, 1)}, "date_jury",
     "La date de jury doit être postérieure ou égale à la date limite de retour."),
    ({"date_jury": datetime.date(2025, 6, 1), "date_publication": datetime.date(2025, 5, 20)},
     "date_publication",
     "La date de publication doit être postérieure ou égale à la date de jury."),
    ({"date_publication": datetime.date(2025, 6, 1), "date_confirmation": datetime.date(2025, 5, 20)},
     "date_confirmation",
     "La date de confirmation doit être postérieure ou égale à la date de publication."),
    ({"date_confirmation": datetime.date(2025, 6, 1), "delai_confirmation": 8},
     "delai_confirmation",
     "Indiquez une date de confirmation ou un délai de confirmation, pas les deux."),
])
def test_formation_date_order_messages(app, dates, field, message):
    formation = make_formation(**dates)
    errors = formation.date_errors()
    assert str(errors[field]) == message
    with pytest.raises(FormationDateError) as raised:
        formation.save()
    assert message in str(raised.value)
    assert raised.value.errors.keys() == errors.keys()


def test_ordered_dates_have_no_error(app):
    formation = make_formation(date_preanalyse=datetime.date(2025, 5, 2),
                               date_jury=datetime.date(2025, 5, 20),
                               date_publication=datetime.date(2025, 5, 25),
                               date_confirmation=datetime.date(2025, 6, 5))
    assert formation.date_errors() == {}

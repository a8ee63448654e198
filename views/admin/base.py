"""The base of every console model view: who may open it, one CSRF token,
read-only users refused on the server, French labels and French errors with
their reason, and deletes that never cascade into candidatures."""
from flask import flash, g, redirect, request, url_for
from flask_admin.actions import action
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee.form import CustomModelConverter
from flask_admin.contrib.peewee.form import save_inline
from flask_admin.helpers import is_form_submitted
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from peewee import AutoField, IntegerField, IntegrityError
from wtfpeewee.fields import ModelSelectField
from wtforms import SelectField
from wtforms.validators import ValidationError

from ecandidat import permissions
from ecandidat.db import database
from ecandidat.models import FormationDateError, User
from ecandidat.users import UserError
from forms.base import INTEGER_MAX, INTEGER_MIN, BaseForm, fits_integer_column
from views.admin.deletion import DeleteRefused, delete_row
from views.admin.labels import LABELS
from views.helpers import signed_in

# A unique value already taken, per field (others get the generic message).
UNIQUE_MESSAGES = {"email": _l("Cette adresse mail est déjà utilisée.")}


class FieldErrors(ValueError):
    """A save refused by a view's own check: {field name: French message}."""

    def __init__(self, errors):
        super().__init__(" ".join(str(m) for m in errors.values()))
        self.errors = errors


def console_user():
    """The signed-in console user, or None (candidates are not console users)."""
    return signed_in(User)


def console_actor():
    return f"user:{console_user().email}"


def current_scope():
    """The signed-in console user's permissions.Scope, computed once per request."""
    if "console_scope" not in g:
        g.console_scope = permissions.scope_of(console_user())
    return g.console_scope


def read_only():
    user = console_user()
    return user is None or user.lecture_seule


class ConsoleAccess:
    """Who may open a console screen: a signed-in console user whose role is in
    `roles`; others go to the login page, or home with the reason."""
    roles = ("admin",)

    def is_accessible(self):
        user = console_user()
        return user is not None and user.role in self.roles

    def inaccessible_callback(self, name, **kwargs):
        if console_user() is None:
            return redirect(url_for("admin.login", next=request.full_path))
        flash(_("Vous n'avez pas accès à cet écran."), "error")
        return redirect(url_for("admin.index"))


class KeyCheckedSelectField(ModelSelectField):
    """A foreign key's list whose sent value is looked up only when it can be a key of
    the table: a number past the INTEGER column (an OverflowError on SQLite) or a word
    (an "invalid input syntax" error on PostgreSQL) is a choice that does not exist,
    refused next to the field like any other."""

    def can_be_key(self, value):
        if isinstance(value, self.model) or not isinstance(self.model._meta.primary_key,
                                                           IntegerField):
            return True
        try:
            number = int(value)
        except (TypeError, ValueError):
            return False
        return INTEGER_MIN <= number <= INTEGER_MAX

    def get_model(self, pk):
        return super().get_model(pk) if self.can_be_key(pk) else None

    def pre_validate(self, form):
        # The sent value may also come back as data set directly (a view's scoping).
        if self.data is not None and not self.can_be_key(self.data):
            raise ValidationError(self.gettext("Not a valid choice."))
        super().pre_validate(form)


class ConsoleModelConverter(CustomModelConverter):
    def handle_foreign_key(self, model, field, **kwargs):
        info = super().handle_foreign_key(model, field, **kwargs)
        if getattr(info.field, "field_class", None) is ModelSelectField:
            info.field.field_class = KeyCheckedSelectField
        return info


class ConsoleModelView(ConsoleAccess, ModelView):
    """Base of every console view: declares the roles allowed to open it.

    `allow_create`, `allow_edit` and `allow_delete` say what the view offers;
    a read-only user (lecture_seule) gets none of them, on the server too
    (Flask-Admin's create, edit, delete and action views check can_*).
    `labels` adds or overrides French labels of this view's fields; `choices`
    maps a coded field to its (code, label) list: a select in the form, the
    label in lists and details (the peewee backend ignores form_choices)."""
    # Flask-WTF's form: its one CSRF token (Flask-Admin's SecureForm would add a
    # second one and every save would fail), and text refusing control characters.
    form_base_class = BaseForm
    model_form_converter = ConsoleModelConverter
    page_size = 50
    can_view_details = True
    allow_create = allow_edit = allow_delete = True
    labels = {}
    choices = {}

    def __init__(self, model, *args, **kwargs):
        self.column_labels = {**LABELS, **self.labels}
        form_args = {name: {"label": label} for name, label in self.column_labels.items()
                     if name in model._meta.fields}
        for name, extra in (self.form_args or {}).items():
            form_args.setdefault(name, {}).update(extra)
        for name, field in model._meta.fields.items():
            if isinstance(field, IntegerField) and not isinstance(field, AutoField):
                extra = form_args.setdefault(name, {})
                extra["validators"] = [*extra.get("validators", ()), fits_integer_column]
        self.form_overrides = dict(self.form_overrides or {})
        self.column_choices = dict(self.column_choices or {})
        for name, options in self.choices.items():
            self.form_overrides[name] = SelectField
            form_args[name]["choices"] = options
            self.column_choices.setdefault(name, [o for o in options if o[0]])
        self.form_args = form_args
        super().__init__(model, *args, **kwargs)

    # --- access (ConsoleAccess), and what a read-only user may not do ---------------

    @property
    def can_create(self):
        return self.allow_create and not read_only()

    @property
    def can_edit(self):
        return self.allow_edit and not read_only()

    @property
    def can_delete(self):
        return self.allow_delete and not read_only()

    def is_action_allowed(self, name):
        return not read_only() and super().is_action_allowed(name)

    # --- saving --------------------------------------------------------------------

    def validate_form(self, form):
        """An invalid model form still reaches create_model/update_model, which
        show its errors with their reason: Flask-Admin would only flash
        "Failed to save record." """
        valid = super().validate_form(form)
        # A lazy (translated at render time) message is not a str: Flask-Admin's
        # field template would leave it out, so it is rendered now.
        for field in form:
            if field.errors and isinstance(field.errors, list):
                field.errors[:] = [e if isinstance(e, (str, list, tuple, dict)) else str(e)
                                   for e in field.errors]
        if valid or not is_form_submitted() or not self._is_model_form(form):
            return valid
        form.console_invalid = True
        return True

    def _is_model_form(self, form):
        return isinstance(form, (self._create_form_class, self._edit_form_class))

    def create_model(self, form):
        return self._save(form, self.model(), is_created=True)

    def update_model(self, form, model):
        return bool(self._save(form, model, is_created=False))

    def _save(self, form, model, is_created):
        if getattr(form, "console_invalid", False):
            message = invalid_form_message(form)
            if message:  # an expired CSRF token alone was already explained by the form
                flash(message, "error")
            return False
        try:
            with database.atomic():
                form.populate_obj(model)
                self._on_model_change(form, model, is_created)
                model.save(force_insert=is_created)
                save_inline(form, model)
                self.after_save(form, model, is_created)
        except (FieldErrors, UserError, FormationDateError, ValidationError,
                IntegrityError) as error:
            show_save_error(form, model, error)
            return False
        self.after_model_change(form, model, is_created)
        return model

    def after_save(self, form, model, is_created):
        """Hook run in the save's transaction once the row is written."""

    # --- deleting ------------------------------------------------------------------

    def delete_model(self, model):
        try:
            delete_row(model, console_actor())
        except DeleteRefused as refused:
            flash(str(refused.message), "error")
            return False
        return True

    @action("delete", _l("Supprimer"),
            _l("Supprimer les lignes sélectionnées ? Ce qui est utilisé par des candidatures "
               "ne sera pas supprimé."))
    def action_delete(self, ids):
        pk = getattr(self.model, self._primary_key)
        deleted = 0
        for model in self.get_query().where(pk.in_(ids)):
            if self.delete_model(model):
                deleted += 1
        if deleted:
            flash(ngettext("%(num)s ligne supprimée.", "%(num)s lignes supprimées.", deleted),
                  "success")


def invalid_form_message(form):
    """One French message listing each faulty field with its reason (None when the
    CSRF token is the only one: forms.base.BaseForm says why itself)."""
    parts = []
    for name, errors in form.errors.items():
        if name == "csrf_token":
            continue
        field = getattr(form, name, None)
        label = field.label.text if field is not None else name
        parts.append(f"{label} : {' '.join(str(e) for e in _flat(errors))}")
    if not parts:
        return None
    return _("Enregistrement impossible. %(raisons)s", raisons=" ; ".join(parts))


def _flat(errors):
    for error in errors:
        if isinstance(error, (list, tuple)):
            yield from _flat(error)
        elif isinstance(error, dict):
            for nested in error.values():
                yield from _flat(nested)
        else:
            yield error


def show_save_error(form, model, error):
    """Put a refused save's reason next to its field(s) and in a French flash."""
    if isinstance(error, (FieldErrors, FormationDateError)):
        field_errors = {name: str(message) for name, message in error.errors.items()}
    elif isinstance(error, UserError):
        field_errors = {error.field: str(error.message)}
    elif isinstance(error, IntegrityError):
        field_errors = _integrity_errors(model)
    else:
        field_errors = {None: str(error)}
    for name, message in field_errors.items():
        field = getattr(form, name, None) if name else None
        if field is not None:
            field.errors = [*field.errors, message]
    flash(_("Enregistrement impossible. %(raisons)s",
            raisons=" ".join(field_errors.values())), "error")


def _integrity_errors(model):
    """Which unique value is already taken (looked up again: the database's
    message differs between SQLite and PostgreSQL), else a general reason."""
    model_class = type(model)
    pk = model_class._meta.primary_key
    for field in model_class._meta.sorted_fields:
        if not field.unique or field is pk:
            continue
        value = getattr(model, field.name)
        query = model_class.select().where(field == value)
        if model._pk is not None:
            query = query.where(pk != model._pk)
        if value is not None and query.exists():
            label = LABELS.get(field.name, field.name)
            return {field.name: str(UNIQUE_MESSAGES.get(field.name) or _(
                "« %(champ)s » : cette valeur est déjà utilisée par un autre enregistrement.",
                champ=label))}
    return {None: _("Une valeur obligatoire manque ou fait référence à un élément qui "
                    "n'existe plus.")}

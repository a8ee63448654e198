"""What every set-up (paramétrage) view of the console shares.

- Who opens a screen (`roles`) and who changes it (`edit_roles`,
  `create_roles`, `delete_roles`); a read-only user changes nothing
  (ConsoleModelView).
- Which rows it reaches: `scoped(scope, query)`, one of ecandidat.permissions'
  visible_* helpers. The list, its count, the details, edit and delete pages,
  the list actions and the file downloads all go through it; an id outside it
  answers 404.
- Selects that point a row at another (a commission, a centre, a formation…)
  list only what the user's scope reaches (`scoped_selects`); a value outside
  the list is refused by the select, and checked again on save.
- Fields only administrators set (`admin_only_fields`) are not in the others' form.
- Uploaded files (`uploads`): checked on content (ecandidat.storage), stored
  privately under a random name, the replaced file removed once the row is
  saved, the new one removed if the save fails; served by the view's scoped
  download route only.
"""
import mimetypes
from dataclasses import dataclass

from flask import abort, request
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField

from ecandidat import storage
from views.admin.base import ConsoleModelView, FieldErrors, console_user, current_scope
from views.files import send_private_file

IMAGE_TYPES = ("image/png", "image/jpeg")
NOT_IN_LIST = _l("Choisissez une valeur de la liste.")


@dataclass(frozen=True)
class Upload:
    """A file uploaded through a form field into `column` (its stored name), with
    its original name in `name_column` (if any) and a "remove" checkbox."""
    column: str
    remove_field: str
    name_column: str = None
    images_only: bool = False


def upload_field(label, description):
    return FileField(label, description=description)


def remove_field(label):
    return BooleanField(label)


def scoped_row(query, model, row_id):
    """The row of `query` with this id (any text: a forged one gives None)."""
    try:
        row_id = int(row_id)
    except (TypeError, ValueError):
        return None
    return query.where(model._meta.primary_key == row_id).first()


class SetupView(ConsoleModelView):
    roles = ("admin",)
    edit_roles = ("admin",)
    create_roles = ("admin",)
    delete_roles = ("admin",)
    # {form field: function(scope) → query}: the choices of a select, in scope.
    scoped_selects = {}
    # Selects that must be filled by users who are not administrators (a
    # gestionnaire's tag or piece belongs to their centre or formation).
    owner_selects = ()
    admin_only_fields = ()
    uploads = {}
    edit_template = "admin/setup_edit.html"

    # --- scope ---------------------------------------------------------------------

    def scoped(self, scope, query):
        raise NotImplementedError

    def base_query(self):
        """The list's select (with the rows it shows joined)."""
        return self.model.select()

    def get_query(self):
        return self.scoped(current_scope(), self.base_query())

    def get_count_query(self):
        # The peewee backend counts get_query's filtered query; kept scoped for any caller.
        return self.scoped(current_scope(), self.model.select())

    def get_one(self, id):
        row = scoped_row(self.get_query(), self.model, id)
        if row is None:
            abort(404)
        return row

    def handle_action(self, return_view=None):
        """A list action on an id outside the scope answers 404, whatever the action."""
        ids = request.form.getlist("rowid")
        if ids:
            try:
                wanted = {int(i) for i in ids}
            except ValueError:
                abort(404)
            pk = self.model._meta.primary_key
            reached = {row._pk for row in self.get_query().where(pk.in_(sorted(wanted)))}
            if reached != wanted:
                abort(404)
        return super().handle_action(return_view)

    # --- who changes what -------------------------------------------------------------

    @staticmethod
    def _role_in(roles):
        user = console_user()
        return user is not None and user.role in roles

    @property
    def can_create(self):
        return super().can_create and self._role_in(self.create_roles)

    @property
    def can_edit(self):
        return super().can_edit and self._role_in(self.edit_roles)

    @property
    def can_delete(self):
        return super().can_delete and self._role_in(self.delete_roles)

    # --- forms ---------------------------------------------------------------------

    def create_form(self, obj=None):
        return self.adapt_form(super().create_form(obj), None)

    def edit_form(self, obj=None):
        return self.adapt_form(super().edit_form(obj), obj)

    def adapt_form(self, form, obj):
        """The form as the signed-in user may fill it: selects in scope, fields of
        administrators removed."""
        scope = current_scope()
        for name, choices in self.scoped_selects.items():
            field = getattr(form, name, None)
            if field is not None:
                field.query = choices(scope)
                if name in self.owner_selects and not scope.all:
                    field.allow_blank = False
        if not scope.all:
            for name in self.admin_only_fields:
                if name in form:
                    del form[name]
        return form

    def on_model_change(self, form, model, is_created):
        self.check_selects(model)
        self.check(form, model, is_created)
        self.store_uploads(form, model)

    def check_selects(self, model):
        """Refuse (again, on the server) a select whose value is outside the scope."""
        scope = current_scope()
        errors = {}
        for name, choices in self.scoped_selects.items():
            value = model.__data__.get(name)
            if value is None:
                if name in self.owner_selects and not scope.all:
                    errors[name] = NOT_IN_LIST
                continue
            query = choices(scope)
            if scoped_row(query, query.model, value) is None:
                errors[name] = NOT_IN_LIST
        if errors:
            raise FieldErrors(errors)

    def check(self, form, model, is_created):
        """A view's own checks: raise FieldErrors({field: message})."""

    # --- files -------------------------------------------------------------------------

    def store_uploads(self, form, model):
        form.stored_files, form.replaced_files = [], []
        for name, upload in self.uploads.items():
            field = getattr(form, name, None)
            remove = getattr(form, upload.remove_field, None)
            old = getattr(model, upload.column)
            sent = field.data if field is not None else None
            if sent is not None and getattr(sent, "filename", None):
                stored = self._store(name, upload, sent)
                form.stored_files.append(stored)
                setattr(model, upload.column, stored)
                if upload.name_column:
                    setattr(model, upload.name_column,
                            storage.safe_download_name(sent.filename))
            elif remove is not None and remove.data and old:
                setattr(model, upload.column, None)
                if upload.name_column:
                    setattr(model, upload.name_column, None)
            else:
                continue
            if old:
                form.replaced_files.append(old)

    @staticmethod
    def _store(name, upload, sent):
        data = storage.read_upload(sent)
        try:
            mime = storage.check_upload(data)
            if upload.images_only and mime not in IMAGE_TYPES:
                raise storage.UploadError(_l("Déposez une image PNG ou JPEG."))
            stored, _mime, _size = storage.save_upload(data)
        except storage.UploadError as refused:
            raise FieldErrors({name: refused.message}) from None
        return stored

    def _save(self, form, model, is_created):
        saved = super()._save(form, model, is_created)
        for stored in (getattr(form, "replaced_files", []) if saved
                       else getattr(form, "stored_files", [])):
            storage.delete_stored(stored)
        return saved

    def send_file_of(self, row_id, upload_field_name):
        """The stored file of a row in scope (404 otherwise), as a private download."""
        row = self.get_one(row_id)
        upload = self.uploads[upload_field_name]
        stored = getattr(row, upload.column)
        if not stored:
            abort(404)
        original = getattr(row, upload.name_column) if upload.name_column else None
        return send_private_file(stored, original or stored,
                                 mimetypes.guess_type(stored)[0])


def selectable(model, helper=None, order=None):
    """`scoped_selects` entry: function(scope) → the rows of `model` to choose from
    (by libellé unless `order`), narrowed by the permissions `helper`
    (visible_commissions…) when given."""
    def choices(scope):
        query = model.select().order_by(*(order or (model.libelle,)))
        return query if helper is None else helper(scope, query)
    return choices

"""Mail templates in the console: the text is checked when saved (Jinja syntax,
only the variables its code provides) and previewed with sample values.

A template is tied to its code (the code that sends it): the code is shown,
never edited, and templates are neither created nor deleted here."""
from flask import request

from ecandidat import mail_templates
from ecandidat.mail import MailTemplateError
from views.admin.base import ConsoleModelView, FieldErrors

PREVIEW_BUTTON = "_preview"


class MailTemplateView(ConsoleModelView):
    allow_create = allow_delete = False
    column_list = ("code", "libelle", "sujet", "actif")
    column_searchable_list = ("code", "libelle", "sujet")
    column_filters = ("actif",)
    column_default_sort = "code"
    # The English version under the French one: left empty, English readers get the French.
    form_columns = ("libelle", "sujet", "corps", "sujet_en", "corps_en", "actif")
    form_widget_args = {"corps": {"rows": 14}, "corps_en": {"rows": 14, "lang": "en"},
                        "sujet_en": {"lang": "en"}}
    edit_template = "admin/mailtemplate_edit.html"

    def on_model_change(self, form, model, is_created):
        # Browsers send a textarea's lines as CRLF: kept as the defaults are, with LF
        # (migration 0011 and the reset compare a body with its default).
        model.corps = (model.corps or "").replace("\r\n", "\n")
        model.sujet_en = (model.sujet_en or "").strip() or None
        model.corps_en = (model.corps_en.replace("\r\n", "\n")
                          if (model.corps_en or "").strip() else None)
        errors = mail_templates.check_versions(model.code, model.sujet, model.corps,
                                               model.sujet_en, model.corps_en)
        if errors:
            raise FieldErrors({field: messages[0] for field, messages in errors.items()})

    def update_model(self, form, model):
        if PREVIEW_BUTTON in request.form:
            return False  # "Prévisualiser": the page shows the typed text rendered, unsaved
        return super().update_model(form, model)

    def render(self, template, **kwargs):
        if template == self.edit_template and "model" in kwargs:
            kwargs.update(preview_context(kwargs["model"].code, kwargs["form"]))
        return super().render(template, **kwargs)


def preview_context(code, form):
    """Variables of the code and the text of the form rendered on a sample
    candidature — the latest one, else sample values — (or the reason it cannot be):
    the French version, and the English one when it is written."""
    context = {"variables": [(name, mail_templates.DESCRIPTIONS[name][0])
                             for name in mail_templates.variables_for(code)],
               "preview": None, "preview_errors": [], "preview_numero": None,
               "preview_en": None, "preview_en_errors": []}
    candidature = mail_templates.sample_candidature(code)
    context["preview_numero"] = candidature.candidat.compte.numero_dossier if candidature else None
    context["preview"], context["preview_errors"] = _preview(
        code, form.sujet.data, form.corps.data, candidature, "fr")
    if mail_templates.has_english(form.sujet_en.data, form.corps_en.data):
        context["preview_en"], context["preview_en_errors"] = _preview(
            code, form.sujet_en.data, form.corps_en.data, candidature, "en")
    return context


def _preview(code, sujet, corps, candidature, langue):
    """(rendered (sujet, corps) or None, [reasons it cannot be])."""
    errors = mail_templates.check(code, sujet, corps)
    if errors:
        return None, [m for messages in errors.values() for m in messages]
    try:
        return mail_templates.preview(code, sujet, corps, candidature, langue=langue), []
    except MailTemplateError as error:
        return None, [str(error)]

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
    form_columns = ("libelle", "sujet", "corps", "actif")
    form_widget_args = {"corps": {"rows": 14}}
    edit_template = "admin/mailtemplate_edit.html"

    def on_model_change(self, form, model, is_created):
        errors = mail_templates.check(model.code, model.sujet, model.corps)
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
    candidature — the latest one, else sample values — (or the reason it cannot be)."""
    context = {"variables": [(name, mail_templates.DESCRIPTIONS[name][0])
                             for name in mail_templates.variables_for(code)],
               "preview": None, "preview_errors": [], "preview_numero": None}
    errors = mail_templates.check(code, form.sujet.data, form.corps.data)
    if errors:
        context["preview_errors"] = [m for messages in errors.values() for m in messages]
        return context
    candidature = mail_templates.sample_candidature(code)
    context["preview_numero"] = candidature.candidat.compte.numero_dossier if candidature else None
    try:
        context["preview"] = mail_templates.preview(code, form.sujet.data, form.corps.data,
                                                    candidature)
    except MailTemplateError as error:
        context["preview_errors"] = [str(error)]
    return context

"""The Flask-Admin console at /admin/: login, and views declared per role."""
from flask import flash, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.contrib.peewee import ModelView
from flask_admin.form import SecureForm
from flask_admin.theme import Bootstrap4Theme
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import login_user, logout_user

from ecandidat import models
from ecandidat.codes import ROLE
from ecandidat.security import check_password
from forms.console import ConsoleLoginForm
from views.helpers import safe_next_url, signed_in


def console_user():
    """The signed-in console user, or None (candidates are not console users)."""
    return signed_in(models.User)


class ConsoleIndexView(AdminIndexView):
    """Home of the console; anonymous visitors get the login form."""

    @expose("/")
    def index(self):
        if console_user() is None:
            return redirect(url_for(".login", next=request.full_path))
        return self.render("admin/console_index.html",
                           role_label=ROLE.label(console_user().role))

    @expose("/login", methods=("GET", "POST"))
    def login(self):
        form = ConsoleLoginForm()
        if form.validate_on_submit():
            user = models.User.get_or_none(models.User.email == form.email.data.strip().lower())
            if user and user.actif and check_password(user.password_hash, form.password.data):
                login_user(user)
                return redirect(safe_next_url(request.args.get("next"), url_for(".index")))
            flash(_("Adresse mail ou mot de passe incorrect."), "error")
        return self.render("admin/login.html", form=form)

    @expose("/logout", methods=("POST",))
    def logout(self):
        user = console_user()
        if user is not None:
            user.rotate_session_token()
            user.save()
        logout_user()
        return redirect(url_for(".login"))


class ConsoleModelView(ModelView):
    """Base of every console view: declares the roles allowed to open it."""
    roles = ("admin",)
    form_base_class = SecureForm
    page_size = 50
    can_view_details = True

    def is_accessible(self):
        user = console_user()
        return user is not None and user.role in self.roles

    def inaccessible_callback(self, name, **kwargs):
        if console_user() is None:
            return redirect(url_for("admin.login", next=request.full_path))
        flash(_("Vous n'avez pas accès à cet écran."), "error")
        return redirect(url_for("admin.index"))


class CampagneView(ConsoleModelView):
    column_list = ("code", "libelle", "date_debut", "date_fin", "en_service")
    column_labels = {"libelle": _l("Libellé"), "date_debut": _l("Début"),
                     "date_fin": _l("Fin"), "en_service": _l("En service")}


class CentreView(ConsoleModelView):
    column_list = ("code", "libelle", "mail_contact", "actif")
    column_searchable_list = ("code", "libelle")


class CommissionView(ConsoleModelView):
    column_list = ("code", "libelle", "centre", "mail", "actif")
    column_searchable_list = ("code", "libelle")


class FormationView(ConsoleModelView):
    column_list = ("code", "libelle", "type_diplome", "commission", "date_debut_depot",
                   "date_fin_depot", "actif")
    column_searchable_list = ("code", "libelle", "mots_cles")
    column_filters = ("actif", "demat")
    column_default_sort = "libelle"

    def on_model_change(self, form, model, is_created):
        errors = model.date_errors()
        if errors:
            for field_name, message in errors.items():
                field = getattr(form, field_name, None)
                if field is not None:
                    field.errors = list(field.errors) + [str(message)]
            raise ValueError(" ".join(str(m) for m in errors.values()))


class UserView(ConsoleModelView):
    column_list = ("email", "nom", "prenom", "role", "actif")
    column_exclude_list = ("password_hash", "session_token")
    form_excluded_columns = ("password_hash", "session_token", "created_at")
    column_searchable_list = ("email", "nom")


def init_admin(app):
    admin = Admin(app, name=_l("eCandidat — console"),
                  index_view=ConsoleIndexView(name=_l("Accueil"), url="/admin"),
                  theme=Bootstrap4Theme(swatch="default"))
    catalogue = _l("Offre de formation")
    admin.add_view(CampagneView(models.Campagne, name=_l("Campagnes"), category=catalogue))
    admin.add_view(CentreView(models.Centre, name=_l("Centres de candidature"),
                              category=catalogue))
    admin.add_view(CommissionView(models.Commission, name=_l("Commissions"),
                                  category=catalogue))
    admin.add_view(FormationView(models.Formation, name=_l("Formations"), category=catalogue))
    admin.add_view(ConsoleModelView(models.PieceJustificative, name=_l("Pièces justificatives"),
                                    category=catalogue))
    admin.add_view(ConsoleModelView(models.MailTemplate, name=_l("Modèles de mail"),
                                    category=_l("Paramétrage")))
    admin.add_view(UserView(models.User, name=_l("Utilisateurs"), category=_l("Paramétrage")))
    return admin

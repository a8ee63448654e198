"""Blueprints per audience, and the request-wide plumbing they share."""
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from ecandidat import cache
from ecandidat.security import load_user
from views.limits import init_limits

login_manager = LoginManager()
csrf = CSRFProtect()

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; "
                                "style-src 'self' 'unsafe-inline'; script-src 'self'; "
                                "frame-ancestors 'none'"),
}


def form_view(view):
    """Mark a view whose every change goes through a validated `forms.base.BaseForm`.

    Its CSRF token is then checked by the form instead of by CSRFProtect before the
    view: an expired or missing token fails the form like a field would, and the
    page comes back with what was typed and the reason (instead of a bare 400). The
    view must change nothing unless `form.validate()` passed. Every other POST keeps
    the global check."""
    return csrf.exempt(view)


def init_views(app):
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "main.index"
    csrf.init_app(app)
    init_limits(app)
    cache.init_app(app)

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    from views.menu import init_menu
    init_menu(app)

    from views import api, auth, candidatures, catalog, main, personal_data, profile, sso
    for blueprint in (main.bp, auth.bp, profile.bp, api.bp, catalog.bp, candidatures.bp,
                      sso.bp, personal_data.bp):
        app.register_blueprint(blueprint)

    from views import language
    language.init_app(app)

    from views.admin import init_admin
    init_admin(app)

    # Last: these handlers replace any a blueprint registered for the same code.
    from views.errors import init_errors
    init_errors(app)

"""What every template calls, kept cheap (views.templating, issue 11): the labels, the
links and the dates come out exactly as Jinja's, Flask's and Flask-Babel's own would."""
import datetime

from flask import Blueprint, render_template_string
from flask_babel import force_locale, format_date

from app import create_app
from ecandidat import codes
from ecandidat.i18n import gettext, lazy_gettext


def render(app, source, language="fr", root="", **context):
    with app.app_context(), app.test_request_context(
            "/", base_url=f"http://localhost{root}/", headers={"Accept-Language": language}):
        return render_template_string(source, **context)


def test_labels_are_translated_escaped_and_formatted_as_jinja_s_newstyle_gettext(app):
    assert render(app, '{{ _("Mon compte") }}', "en") == "My account"
    # a variable is escaped, the label is not; "%%" is a percent sign, variables or not
    assert render(app, '{{ _("N° de dossier : %(numero)s", numero=n) }}', n="<b>") == \
        "N° de dossier : &lt;b&gt;"
    assert render(app, '{{ gettext("100%% en ligne") }}') == "100% en ligne"
    assert render(app, '{{ ngettext("%(num)d stage", "%(num)d stages", 3) }}', "en") == \
        "3 internships"
    assert render(app, '{{ ngettext("%(num)d stage", "%(num)d stages", 1) }}') == "1 stage"
    # a variable may bear the name of the functions' own parameters
    assert render(app, '{{ _("%(string)s et %(eval_ctx)s", string="a", eval_ctx="b") }}') == \
        "a et b"
    assert render(app, '{{ ngettext("%(plural)s %(num)d", "%(plural)s %(num)d", 2, '
                       'plural="x") }}') == "x 2"


def test_a_code_s_label_follows_the_reader_s_language_and_force_locale(app):
    label = codes.STATUT_DOSSIER.label("CO")
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert str(label) == "Complete" and label.__html__() == "Complete"
        with force_locale("fr"):
            assert str(label) == "Complet"
        assert gettext("Mon compte") == "My account"
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert str(label) == "Complet"
        assert gettext("N° de dossier : %(numero)s", numero="X1") == "N° de dossier : X1"
    with app.app_context():  # no request (a job, the CLI): the institution's language
        assert str(lazy_gettext("Mon compte")) == "Mon compte"


def test_links_are_those_flask_builds_under_each_script_root(app):
    page = ('{{ url_for("profile.summary") }} {{ url_for("candidatures.detail", '
            'candidature_id=7) }} {{ url_for("profile.summary", _anchor="x") }}')
    expected = "/mon-compte/ /candidatures/7 /mon-compte/#x"
    for _ in range(2):  # built, then remembered
        assert render(app, page) == expected
    # equal values of other types are other URLs
    assert render(app, '{{ url_for("profile.summary", v=1) }} {{ url_for("profile.summary", '
                       'v=True) }} {{ url_for("profile.summary", v=1.0) }}') == \
        "/mon-compte/?v=1 /mon-compte/?v=True /mon-compte/?v=1.0"
    for root in ("/ecandidat", "/autre"):
        assert render(app, page, root=root) == \
            f"{root}/mon-compte/ {root}/candidatures/7 {root}/mon-compte/#x"
        assert render(app, '{{ url_for("profile.summary", _external=True) }}', root=root) \
            == f"http://localhost{root}/mon-compte/"
    assert render(app, page) == expected


def app_with(database_url, tmp_path, *blueprints):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "t",
                      "UPLOAD_FOLDER": str(tmp_path), "MAIL_SERVER": None})
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return app.test_client()


def linking_blueprint(name):
    blueprint = Blueprint(name, __name__, url_prefix=f"/{name}")
    blueprint.add_url_rule("/a", "page", lambda: render_template_string(
        '{{ url_for(".page") }}|{{ url_for("%s.page") }}' % name))
    return blueprint


def test_a_blueprint_relative_link_is_the_request_s_blueprint_s(database_url, tmp_path):
    client = app_with(database_url, tmp_path, linking_blueprint("un"), linking_blueprint("deux"))
    for _ in range(2):
        assert client.get("/un/a").get_data(as_text=True) == "/un/a|/un/a"
        assert client.get("/deux/a").get_data(as_text=True) == "/deux/a|/deux/a"


def test_links_are_not_remembered_when_url_defaults_may_add_values(database_url, tmp_path):
    """A url_defaults function may add a value per request: Flask builds every link."""
    blueprint, visits = linking_blueprint("extra"), []

    @blueprint.url_defaults
    def add_visit(endpoint, values):
        visits.append(1)
        values.setdefault("visite", len(visits))

    client = app_with(database_url, tmp_path, blueprint)
    assert client.get("/extra/a").get_data(as_text=True) == \
        "/extra/a?visite=1|/extra/a?visite=2"
    assert client.get("/extra/a").get_data(as_text=True) == \
        "/extra/a?visite=3|/extra/a?visite=4"


def test_dates_are_written_in_each_language_as_babel_writes_them(app):
    day = datetime.date(2026, 6, 3)
    moment = datetime.datetime(2026, 6, 3, 23, 30)  # UTC: already 4 June in Paris
    page = '{{ day|dateformat("d MMMM yyyy") }}|{{ moment|dateformat("d MMMM yyyy") }}'
    for _ in range(2):
        assert render(app, page, "fr", day=day, moment=moment) == "3 juin 2026|4 juin 2026"
        assert render(app, page, "en", day=day, moment=moment) == "3 June 2026|4 June 2026"
    with app.app_context(), app.test_request_context("/"):
        assert render_template_string('{{ day|dateformat }}', day=day) == format_date(day)


def test_a_label_is_markup_under_autoescape_and_plain_text_without(app):
    """As Jinja's newstyle gettext: under autoescape the label is safe and its variables
    escaped; without (a text written as is), nothing is escaped."""
    source = '{{ _("N° de dossier : %(numero)s", numero=n) }}'
    assert render(app, source, n="<b>") == "N° de dossier : &lt;b&gt;"
    assert render(app, "{% autoescape false %}" + source + "{% endautoescape %}",
                  n="<b>") == "N° de dossier : <b>"

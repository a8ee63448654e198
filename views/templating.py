"""What every page's template calls, kept cheap (issue 11: a signed-in page is about
fifty labels and fifteen links).

- `_`, `gettext` and `ngettext` behave as Jinja's own "newstyle" i18n callables (the
  text marked safe under autoescape, then always formatted with its variables), in one
  call instead of Jinja's three nested `Context.call`, with the catalogue looked up once
  per language and request (ecandidat.i18n.request_translations).
- `dateformat` remembers the dates it wrote, per format and language (Babel's
  formatting is about 12 µs a date; a Candidatures list writes two per row).
- `rendered_once` gives a part of a page rendered once per key (the few values it
  shows), language and script root: Mon compte's sections are the same for every
  candidate whose file is in the same state.
- `url_for` remembers the URLs it built for a given script root: building one walks
  Werkzeug's rules (about 10 µs), and a page links the same endpoints on every request.
"""
import datetime

from flask import current_app, render_template, request
from flask.globals import _cv_request
from flask_babel import format_date
from jinja2 import pass_eval_context
from markupsafe import Markup

from ecandidat.i18n import current_language, request_translations

DATE_MEMO_SIZE = 4096
FRAGMENT_MEMO_SIZE = 1024
# Enough for every endpoint with the few arguments a page links; beyond it, the memo
# starts again rather than grow with every id ever linked.
URL_MEMO_SIZE = 4096


@pass_eval_context
def template_gettext(eval_ctx, string, /, **variables):
    text = request_translations().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)
    # Formatting a label without a "%" by nothing gives it back: most labels.
    return text % variables if variables or "%" in text else text


@pass_eval_context
def template_ngettext(eval_ctx, singular, plural, num, /, **variables):
    variables.setdefault("num", num)
    text = request_translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def install_template_gettext(app):
    # pgettext/npgettext (unused so far) keep Jinja's own wrapping.
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: request_translations().ugettext(string),
        ngettext=lambda singular, plural, n: request_translations().ungettext(
            singular, plural, n),
        pgettext=lambda context, string: request_translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: request_translations().unpgettext(
            context, singular, plural, n),
        newstyle=True)
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext,
                                 ngettext=template_ngettext)


def _memo_key(endpoint, values):
    """The memo's key for a plain, relative URL; None for what it does not keep: a
    blueprint-relative endpoint, an option (_external, _anchor…), an unhashable value."""
    if endpoint[:1] == "." or any(name[:1] == "_" for name in values):
        return None
    request_ctx = _cv_request.get(None)
    if request_ctx is None:
        return None
    # With each value's type: 1 and True are equal keys, but not the same URL.
    key = (endpoint, tuple((name, type(value), value) for name, value in values.items()),
           request_ctx.request.script_root)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def memo_url_for(app):
    """Templates' url_for: Flask's, remembered per endpoint, arguments and script root.

    Only when the app has no url_defaults function (they may add values per request):
    then a relative URL depends on nothing else."""
    memo = {}
    build = app.url_for

    def url_for(endpoint, **values):
        key = (None if any(app.url_default_functions.values())
               else _memo_key(endpoint, values))
        if key is None:
            return build(endpoint, **values)
        url = memo.get(key)
        if url is None:
            if len(memo) >= URL_MEMO_SIZE:
                memo.clear()
            url = memo[key] = build(endpoint, **values)
        return url

    return url_for


def memo_dateformat():
    """Templates' dateformat filter (Flask-Babel's format_date), remembered for a
    date (not a datetime, which is moved to the reader's zone) per format and
    language: then nothing else changes what Babel writes."""
    memo = {}

    def dateformat(value, format=None, rebase=True):
        if type(value) is not datetime.date:
            return format_date(value, format, rebase)
        key = (value, format, current_language())
        text = memo.get(key)
        if text is None:
            if len(memo) >= DATE_MEMO_SIZE:
                memo.clear()
            text = memo[key] = format_date(value, format, rebase)
        return text

    return dateformat


def rendered_once(template_name, key, context):
    """`template_name` rendered with the dict `context()` returns, once per `key`
    (hashable: what the output depends on), language and script root; then the same
    Markup again, without calling `context`. Not in debug mode, where templates are
    edited live."""
    app = current_app._get_current_object()
    if app.jinja_env.auto_reload:
        return Markup(render_template(template_name, **context()))
    memo = app.extensions.setdefault("rendered_once", {})
    full_key = (template_name, key, current_language(), request.script_root)
    html = memo.get(full_key)
    if html is None:
        if len(memo) >= FRAGMENT_MEMO_SIZE:
            memo.clear()
        html = memo[full_key] = Markup(render_template(template_name, **context()))
    return html


def url_for(endpoint, **values):
    """flask.url_for, remembered (memo_url_for): for what a page builds on every request."""
    return current_app.extensions["memo_url_for"](endpoint, **values)


def init_app(app):
    install_template_gettext(app)
    app.extensions["memo_url_for"] = app.jinja_env.globals["url_for"] = memo_url_for(app)
    app.jinja_env.filters["dateformat"] = memo_dateformat()

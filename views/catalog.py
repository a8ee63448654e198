"""Offre de formation: the public training offer and the page of one formation.

Both pages are public. The offer comes from ecandidat.offer: plain rows, sorted once,
cached under the offer's stamp and the day (its docstring says how that stays right
across processes). Per request here: one SQL query, the stamp (two for a signed-in
candidate, whose account the menu needs), then
- the validators: an ETag naming all the page is made of (the stamp, the day, the
  search, the language, the release, who asks) and, for anonymous visitors, a
  Last-Modified; a request that already holds them gets a 304, nothing rendered;
- the tree of the whole offer rendered once per stamp, day and language (cached
  HTML) inside the layout rendered per request; a search filters the cached rows and
  renders only what it found.

Who asks changes the layout, not the offer: an anonymous visitor gets the Connexion
menu, the same for all of them; a signed-in candidate gets their menu, whose
Déconnexion button carries their session's CSRF token, as does the language switch of
anyone signed in (a console user too). So a signed-in ETag is derived from their
session (account and CSRF token) and from the half of the token's lifetime we are in, so that a page kept by a 304 never holds an expired
token; their responses are `private`, and every response `Vary: Cookie,
Accept-Language`. A page showing a flash message (shown once) has no validator."""
import datetime
import functools
import gzip
import hashlib
import os
import time
from collections import namedtuple
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, make_response, render_template, request,
                   session, url_for)
from flask_babel import get_locale, gettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.http import is_resource_modified, quote_etag

from ecandidat import cache, clock, codes, offer, workflow
from ecandidat.models import Candidat, Candidature, Formation
from views import microcache
from views.helpers import signed_in_compte

bp = Blueprint("catalog", __name__, url_prefix="/offre-de-formation")

APPLY_ENDPOINT = "candidatures.candidater"
ANONYMOUS = "anonyme"
# The offer's dates, as the guide shows them ("Du 15/11/2017 au 23/12/2017").
DATE_FORMAT = "%d/%m/%Y"
# What a release is made of, for the validators: a deploy that changes any of these
# files changes every ETag (their contents) and Last-Modified (their newest mtime).
RELEASE_FOLDERS = ("templates", "views", "ecandidat", "static", "translations")
# The cached anonymous page is compressed once: 212 KB of HTML at 500 formations
# become ~20 KB on the wire for every browser (they all accept gzip).
GZIP_LEVEL = 6


def mode_label(formation):
    """"Dossier dématérialisé" or "Dossier papier" (a Formation or an offer row)."""
    return codes.MODE_CANDIDATURE.label("DEMAT" if formation.demat else "PAPIER")


# --- Validators --------------------------------------------------------------------------

def digest(*parts):
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).hexdigest()


@functools.cache
def _release(root):
    contents, newest = hashlib.blake2b(digest_size=16), 0.0
    for folder in RELEASE_FOLDERS:
        for directory, subdirectories, names in os.walk(os.path.join(root, folder)):
            subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
            for name in sorted(names):
                path = os.path.join(directory, name)
                contents.update(os.path.relpath(path, root).encode())
                with open(path, "rb") as handle:
                    contents.update(handle.read())
                newest = max(newest, os.path.getmtime(path))
    return contents.hexdigest(), datetime.datetime.fromtimestamp(newest, datetime.timezone.utc)


def release():
    """(digest of the code, templates and static files, time of the newest one),
    computed once per process (per request in debug mode, where they are edited)."""
    if current_app.debug:
        _release.cache_clear()
    return _release(current_app.root_path)


def page_variant():
    """What the layout depends on besides the offer: ANONYMOUS, or a digest of the
    signed-in user's session; None when a flash message waits to be shown."""
    if session.get("_flashes"):
        return None
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return ANONYMOUS
    generate_csrf()  # the session's token exists from the first page on, so this is stable
    lifetime = current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    period = int(time.time() // (lifetime / 2)) if lifetime else 0
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    return "candidat-" + digest(user.get_id(), session.get(field, ""), period)


def etag(stamp, today, query, variant):
    locale = str(get_locale())
    return quote_etag(digest(offer.cache_key("page", stamp, today, locale, query, variant),
                             release()[0], request.script_root), weak=True)


def last_modified(stamp, today):
    """The latest of: the offer's last change, the start of today (a formation may
    have opened or closed at midnight), the release."""
    midnight = datetime.datetime.combine(today, datetime.time(), tzinfo=clock.zone())
    moments = [midnight.astimezone(datetime.timezone.utc), release()[1]]
    if stamp.changed_at:
        moments.append(stamp.changed_at)
    return max(moments).replace(microsecond=0)


def with_validators(response, stamp, today, query, variant, tag=None):
    response.vary.update(("Cookie", "Accept-Language"))
    response.cache_control.no_cache = True
    if variant != ANONYMOUS:
        response.cache_control.private = True
    if variant is not None:
        response.headers["ETag"] = tag or etag(stamp, today, query, variant)
    if variant == ANONYMOUS:
        response.last_modified = last_modified(stamp, today)
    return response


# --- Offer -------------------------------------------------------------------------------

def render_tree(rows, open_all):
    """The centres' <details> for these rows (already in display order).

    The words repeated on every row are translated once, the dates written without
    Babel (a fixed numeric pattern) and the links built from one url_for: done per
    row, they were 80 % of the rendering time of 500 formations."""
    tree = offer.grouped(rows)
    link = url_for("catalog.formation", formation_id=0)
    assert link.endswith("/0"), link
    modes = {demat: str(codes.MODE_CANDIDATURE.label("DEMAT" if demat else "PAPIER"))
             for demat in (True, False)}
    return Markup(render_template(
        "catalog/_offer_tree.html", tree=tree, open_all=open_all or len(tree) == 1,
        modes=modes, closed_label=gettext("Candidatures fermées"),
        period=gettext("Du %(debut)s au %(fin)s"), date_format=DATE_FORMAT,
        formation_link=link[:-1]))


def whole_tree(stamp, today):
    """(the stamp it was built from, number of formations, HTML) of the whole offer's
    tree, rendered once per stamp, day, language and release: a read of the cache,
    the rows themselves are not even loaded."""
    def key(of_stamp):
        return offer.cache_key("tree", of_stamp, today, str(get_locale()), release()[0],
                               request.script_root)

    cached = cache.get(key(stamp))
    if isinstance(cached, tuple):
        return cached
    current = offer.offer_for(stamp, today)
    built = (current.stamp, len(current.rows), str(render_tree(current.rows, open_all=False)))
    cache.put(key(current.stamp), built)
    return built


CachedPage = namedtuple("CachedPage", "stamp body gzipped")


def anonymous_offer(today):
    """The whole offer as an anonymous visitor gets it: the response itself is cached
    (HTML and its gzip), per stamp, day, language and release, and the stamp read at
    most once per OFFER_STAMP_MAX_AGE seconds by this process (offer.recent_stamp), so
    that at a deadline peak a visitor's request costs neither a query nor a rendering
    nor a compression. Everything in such a page is the same for every visitor (no
    session, no CSRF token, no flash message: page_variant() said so)."""
    config = current_app.config
    stamp = offer.recent_stamp(config["DATABASE_URL"], config["OFFER_STAMP_MAX_AGE"])
    tag = etag(stamp, today, "", ANONYMOUS)
    if not is_resource_modified(request.environ, etag=tag,
                                last_modified=last_modified(stamp, today)):
        return with_validators(current_app.response_class(status=304), stamp, today, "",
                               ANONYMOUS, tag)

    def key(of_stamp):
        return offer.cache_key("response", of_stamp, today, str(get_locale()), release()[0],
                               request.script_root)

    page = cache.get(key(stamp))
    if not isinstance(page, CachedPage):
        shown_stamp, total, tree = whole_tree(stamp, today)
        body = render_template("catalog/offre.html", tree=Markup(tree), q="", searching=False,
                               result_count=total, offer_count=total).encode()
        page = CachedPage(shown_stamp, body, gzip.compress(body, GZIP_LEVEL))
        cache.put(key(shown_stamp), page)
    microcache.allow(config["OFFER_STAMP_MAX_AGE"])
    compressed = request.accept_encodings.quality("gzip") > 0
    response = current_app.response_class(page.gzipped if compressed else page.body,
                                          content_type="text/html; charset=utf-8")
    if compressed:
        response.content_encoding = "gzip"
    response.vary.add("Accept-Encoding")
    return with_validators(response, page.stamp, today, "", ANONYMOUS,
                           tag if page.stamp == stamp else None)


@bp.route("/")
def offre():
    """The offer as a tree, optionally filtered by `?q=` (every word must match)."""
    query = (request.args.get("q") or "")[:offer.MAX_SEARCH_LENGTH].strip()
    today = clock.today()
    variant = page_variant()
    # The shared page only for the bare URL: the layout writes the URL itself (the
    # language switch's way back), so any other query string gets its own page.
    if variant == ANONYMOUS and not request.args:
        return anonymous_offer(today)
    words = offer.search_words(query)
    stamp = offer.current_stamp()
    if variant is not None and not is_resource_modified(
            request.environ, etag=etag(stamp, today, query, variant),
            last_modified=last_modified(stamp, today) if variant == ANONYMOUS else None):
        return with_validators(current_app.response_class(status=304), stamp, today, query,
                               variant)

    if words:
        current = offer.offer_for(stamp, today)
        found = offer.matching(current.rows, words)
        shown_stamp, total = current.stamp, len(current.rows)
        tree, result_count = render_tree(found, open_all=True), len(found)
    else:
        shown_stamp, total, tree = whole_tree(stamp, today)
        result_count = total
    response = make_response(render_template(
        "catalog/offre.html", tree=Markup(tree), q=query, searching=bool(words),
        result_count=result_count, offer_count=total))
    return with_validators(response, shown_stamp, today, query, variant)


# --- One formation -----------------------------------------------------------------------

def offered_formation_or_404(formation_id):
    """The offered formation with this id (relations loaded), or 404 when it is
    unknown or withdrawn from the offer."""
    formation = Formation.offered().where(Formation.id == formation_id).first()
    if formation is None:
        abort(404)
    return formation


def live_candidature(compte, formation):
    """The account's non-cancelled candidature to the formation, or None."""
    if compte is None:
        return None
    return (Candidature.select(Candidature.id).join(Candidat)
            .where(Candidat.compte == compte.id, Candidature.formation == formation.id,
                   Candidature.date_annulation.is_null())
            .first())


@bp.app_template_filter("web_link")
def web_link(url):
    """The URL when it is an http(s) link, else None: a `javascript:` or `data:` URL
    typed in the console must never become a clickable link."""
    if url and urlsplit(url.strip()).scheme.lower() in ("http", "https"):
        return url.strip()
    return None


@bp.route("/<int:formation_id>")
def formation(formation_id):
    """The formation's details, the pièces asked, and how to apply: a "Candidater"
    button for a signed-in candidate while applications are open, otherwise the
    Connexion / Créer un compte links or the closed notice."""
    formation = offered_formation_or_404(formation_id)
    compte = signed_in_compte()
    return render_template(
        "catalog/formation.html", formation=formation,
        commission=formation.commission, centre=formation.commission.centre,
        pieces=workflow.pieces_asked(formation),
        is_open=formation.is_open(clock.today()), compte=compte,
        candidature=live_candidature(compte, formation),
        can_apply_here=APPLY_ENDPOINT in current_app.view_functions,
        mode_label=mode_label, web_link=web_link(formation.url),
        traitement_label=codes.TYPE_TRAITEMENT_FORMATION.label(formation.type_traitement))

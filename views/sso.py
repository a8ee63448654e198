"""Single sign-on through the institution's OpenID provider: the redirects to the
provider and back (Authlib: discovery, authorization code with PKCE, state and nonce
checked, ID token verified), for candidates here and for the console in
views/admin/index.py. What the proved identity becomes is ecandidat.sso's rule."""
import logging

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import login_user
from joserfc.errors import JoseError

from ecandidat import sso
from views.limits import LOGIN_PER_ADDRESS, limiter

log = logging.getLogger(__name__)

bp = Blueprint("sso", __name__)

# One client per audience: Authlib keeps each login's state under the client's name, so
# a callback only accepts a state issued for its own audience.
CANDIDATE, CONSOLE = "etudiants", "console"
SETTINGS = ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_SCOPES")

UNREACHABLE = _l("Le service de connexion de l'établissement ne répond pas. Réessayez dans "
                 "quelques minutes, ou connectez-vous avec votre adresse mail et votre mot de "
                 "passe.")
FAILED = _l("La connexion avec votre identité de l'établissement n'a pas abouti (lien expiré "
            "ou déjà utilisé). Recommencez depuis le bouton de connexion.")
CANCELLED = _l("La connexion avec votre identité de l'établissement a été annulée.")


def _clients():
    """The Authlib clients of the current settings (tests change them on a live app)."""
    config = current_app.config
    settings = tuple(config.get(key) for key in SETTINGS)
    cached = current_app.extensions.get("ecandidat_sso")
    if cached is None or cached[0] != settings:
        oauth = OAuth(current_app._get_current_object())
        issuer, client_id, client_secret, scopes = settings
        clients = {name: oauth.register(
            name, client_id=client_id, client_secret=client_secret,
            server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": scopes, "code_challenge_method": "S256",
                           "default_timeout": 10})
            for name in (CANDIDATE, CONSOLE)}
        cached = current_app.extensions["ecandidat_sso"] = (settings, clients)
    return cached[1]


def _callback_url(endpoint):
    # Built on BASE_URL, not on the request's Host: it must be, to the character, the
    # redirect URI registered at the provider.
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint)


def start(audience, callback_endpoint):
    """The redirect to the provider's login page; SsoError when it cannot be reached."""
    if not sso.is_configured(current_app.config):
        abort(404)
    client = _clients()[audience]
    try:
        return client.authorize_redirect(_callback_url(callback_endpoint))
    except (requests.RequestException, ValueError, KeyError) as error:
        log.warning("OpenID provider unreachable: %s", error)
        raise sso.SsoError(UNREACHABLE) from error


def finish(audience):
    """The identity the provider's answer proves; SsoError for anything else (forged or
    replayed answer, cancelled login, provider down, bad token)."""
    if not sso.is_configured(current_app.config):
        abort(404)
    config = current_app.config
    client = _clients()[audience]
    try:
        token = client.authorize_access_token()
        claims = dict(token.get("userinfo") or {})
        if not claims:  # no ID token: not an OpenID Connect answer
            raise sso.SsoError(FAILED)
        metadata = client.load_server_metadata()
        if not sso.same_issuer(metadata.get("issuer"), config["OIDC_ISSUER"]):
            log.warning("OpenID discovery names issuer %r, not %r", metadata.get("issuer"),
                        config["OIDC_ISSUER"])
            raise sso.SsoError(FAILED)
        if metadata.get("userinfo_endpoint"):
            # Many providers put the e-mail and names only in the userinfo answer.
            userinfo = dict(client.userinfo(token=token))
            if userinfo.get("sub") != claims.get("sub"):
                raise sso.SsoError(FAILED)
            claims = {**userinfo, **claims}
    except sso.SsoError:
        raise
    except AuthlibBaseError as error:
        log.info("OpenID login refused: %s", error)
        if getattr(error, "error", None) == "access_denied":
            raise sso.SsoError(CANCELLED) from error
        raise sso.SsoError(FAILED) from error
    except JoseError as error:
        log.warning("OpenID ID token refused: %s", error)
        raise sso.SsoError(FAILED) from error
    except (requests.RequestException, ValueError, KeyError) as error:
        log.warning("OpenID provider unreachable or answering nonsense: %s", error)
        raise sso.SsoError(UNREACHABLE) from error
    return sso.Identity.from_claims(config["OIDC_ISSUER"], claims,
                                    config.get("OIDC_INE_CLAIM"))


@bp.route("/connexion/etablissement")
def candidate_start():
    try:
        return start(CANDIDATE, "sso.candidate_callback")
    except sso.SsoError as error:
        flash(str(error.message), "error")
        return redirect(url_for("auth.login"))


@bp.route("/connexion/etablissement/retour")
@limiter.limit(LOGIN_PER_ADDRESS)
def candidate_callback():
    try:
        compte, how = sso.sign_in_candidate(finish(CANDIDATE))
    except sso.SsoError as error:
        flash(str(error.message), "error")
        return redirect(url_for("auth.login"))
    login_user(compte)
    if how == "creation":
        flash(_("Votre compte eCandidat est créé (n° dossier %(numero)s) : complétez votre "
                "dossier dans Mon compte, puis candidatez.", numero=compte.numero_dossier),
              "success")
    return redirect(url_for("profile.summary"))

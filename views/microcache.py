"""A micro-cache of whole anonymous responses, in front of Flask (WSGI middleware).

At a deadline peak the public offer page is asked for by crowds of visitors who are
not signed in, and every one of them gets the same bytes. Even cached (views.catalog
keeps the page rendered and compressed), going through Flask costs each of them a
request context, the session, Flask-Login, Babel's locale and eleven headers: more
than the page itself. So a view may mark its response as the same for every
cookieless visitor for a few seconds (`allow(seconds)`), and the next identical
requests within those seconds are answered here with the recorded status, headers
and body, without entering Flask: what nginx calls microcaching.

What makes a recorded response safe to replay:
- only GET requests without a Cookie header and without conditional headers are
  served or recorded (a session, a flash message, a CSRF token, a signed-in menu all
  need a cookie; If-None-Match and If-Modified-Since go to Flask, which answers 304);
- the key holds everything else the response may depend on: scheme, host, script
  root, path, query string, and the request headers the response names in `Vary`
  (Accept-Language, Accept-Encoding); a response that sets a cookie is never kept;
- an entry lives `seconds` (OFFER_STAMP_MAX_AGE for the offer: the same staleness as
  the stamp that process would have read anyway), and at most MAX_ENTRIES are kept.
"""
import threading
from time import monotonic

from flask import request

ENVIRON_KEY = "ecandidat.microcache_seconds"
# Distinct (URL, language, encoding) answers kept per process: the table is emptied
# when it reaches this size (entries live seconds anyway).
MAX_ENTRIES = 128


def allow(seconds):
    """Let this request's response be replayed to identical cookieless requests for
    `seconds` (the view promises it holds nothing proper to the visitor)."""
    if seconds > 0:
        request.environ[ENVIRON_KEY] = seconds


class MicroCache:
    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.entries = {}  # key → (expires, status, headers, body)
        self.lock = threading.Lock()

    @staticmethod
    def eligible(environ):
        return (environ.get("REQUEST_METHOD") == "GET" and "HTTP_COOKIE" not in environ
                and "HTTP_IF_NONE_MATCH" not in environ
                and "HTTP_IF_MODIFIED_SINCE" not in environ)

    @staticmethod
    def base_key(environ):
        return (environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST"),
                environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", ""),
                environ.get("QUERY_STRING", ""))

    @staticmethod
    def vary_key(environ, vary):
        return tuple(environ.get("HTTP_" + name.upper().replace("-", "_"), "")
                     for name in vary)

    def __call__(self, environ, start_response):
        if not self.eligible(environ):
            return self.wsgi_app(environ, start_response)
        base = self.base_key(environ)
        vary = self.entries.get(base)  # the Vary names recorded for this URL
        if vary is not None:
            entry = self.entries.get((base, self.vary_key(environ, vary)))
            if entry is not None and entry[0] > monotonic():
                start_response(entry[1], list(entry[2]))
                return [entry[3]]
        return self.record(base, environ, start_response)

    def record(self, base, environ, start_response):
        captured = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, capture)
        seconds = environ.get(ENVIRON_KEY)
        if not seconds or not captured.get("status", "").startswith("200"):
            return body
        if any(name.lower() == "set-cookie" for name, _ in captured["headers"]):
            return body
        try:
            content = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        vary = tuple(sorted({part.strip().lower()
                             for name, value in captured["headers"] if name.lower() == "vary"
                             for part in value.split(",") if part.strip()} - {"cookie"}))
        with self.lock:
            if len(self.entries) >= MAX_ENTRIES:
                self.entries.clear()
            self.entries[base] = vary
            self.entries[(base, self.vary_key(environ, vary))] = (
                monotonic() + seconds, captured["status"], tuple(captured["headers"]), content)
        return [content]

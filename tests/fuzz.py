"""What the property-based tests send and what they check of each answer.

Values: text of any kind (control characters and NUL, every Unicode plane,
right-to-left marks, very long runs), numbers (huge, negative, float notations,
nan), dates (any year, both formats, impossible days), each field sent, left out or
sent twice, and fields the form does not have.

Answers: never a 5xx; a 4xx is one of the French error pages (views.errors); every
message shown (field errors, flashes, Flask-Admin alerts) is French, none of
WTForms' or Flask-Admin's English defaults; and a POST answered 200 without a
redirect says why (an error message) unless it is the form's success page."""
import html
import os
import re
from html.parser import HTMLParser

from hypothesis import HealthCheck, Phase, settings, strategies as st

from views.errors import PAGES

# FUZZ_NO_SHRINK=1 reports a failing input as found: shrinking it costs minutes here
# (each example is a request), worth it only once the failure is understood.
FUZZ = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large],
                phases=[phase for phase in Phase
                        if not (phase == Phase.shrink and os.environ.get("FUZZ_NO_SHRINK"))])

CONTROL = "\x00\x01\x07\x08\x0b\x0c\x0e\x1b\x7f\x85\u200b\u200e\u202e\u2028\ufeff\t\r\n"
control_text = st.text(alphabet=st.sampled_from(CONTROL), min_size=1, max_size=5).flatmap(
    lambda bad: st.text(max_size=10).map(lambda good: good[:5] + bad + good[5:]))
long_text = st.tuples(st.characters(), st.integers(200, 20_000)).map(lambda c: c[0] * c[1])
numbers = st.one_of(
    st.integers(-2**70, 2**70).map(str),
    st.sampled_from(["0", "-1", "1e308", "NaN", "inf", "-0", "0x1F", "1_000", "١٢٣", "２０２０",
                     "2024.5", " 2024 ", "+33 6 12 34 56 78", "9" * 40]),
    st.floats(allow_nan=True, allow_infinity=True).map(str))
dates = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}"),
    st.sampled_from(["31/02/2020", "2020-13-45", "00/00/0000", "29/02/2023", "9999-12-31",
                     "0001-01-01", "1/1/1", "demain"]))
any_text = st.one_of(st.text(max_size=60), control_text, long_text, numbers, dates,
                     st.just(""), st.sampled_from(["None", "null", "<script>x</script>",
                                                    "' OR 1=1 --", "%00", "\\x00"]))


def value_for(field):
    """A strategy for one field: one of its options (select, radio, checkbox), or
    anything; a number or date input gets mostly numbers or dates."""
    if field.options:
        return st.one_of(st.sampled_from(field.options), any_text)
    if field.kind == "number":
        return st.one_of(numbers, numbers, any_text)
    if field.kind == "date":
        return st.one_of(dates, dates, any_text)
    return any_text


def form_data(fields, extra_names=("autre", "id", "csrf_token", "submit")):
    """A strategy for a POST body: each field left out, sent once or twice; plus
    maybe fields the form does not have."""
    def one(field):
        return st.one_of(st.none(), value_for(field),
                         st.lists(value_for(field), min_size=2, max_size=3))

    def build(values, extra):
        data = {name: value for name, value in values.items() if value is not None}
        data.update(extra)
        return data
    return st.builds(build,
                     st.fixed_dictionaries({field.name: one(field) for field in fields}),
                     st.dictionaries(st.sampled_from(extra_names), any_text, max_size=2))


# --- Reading a form page ------------------------------------------------------------------

class Field:
    def __init__(self, name, kind="text"):
        self.name, self.kind, self.options = name, kind, []

    def __repr__(self):
        return f"Field({self.name!r}, {self.kind!r})"


class _FormFields(HTMLParser):
    """The names a page's POST forms send (inputs, selects with their options,
    textareas), submit buttons and the CSRF token left out."""
    SKIPPED = {"csrf_token", "refresh"}

    def __init__(self):
        super().__init__()
        self.fields, self._select, self.token = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name == "csrf_token":
            self.token = attrs.get("value")
        if not name or name in self.SKIPPED:
            if tag == "option" and self._select is not None and attrs.get("value"):
                self._select.options.append(attrs["value"])
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            field = self.fields.setdefault(name, Field(name, kind))
            if kind in ("checkbox", "radio"):
                field.options.append(attrs.get("value", "y"))
        elif tag == "textarea":
            self.fields.setdefault(name, Field(name))
        elif tag == "select":
            self._select = self.fields.setdefault(name, Field(name))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def form_fields(page):
    parser = _FormFields()
    parser.feed(page)
    return list(parser.fields.values()), parser.token


# --- Checking an answer -------------------------------------------------------------------

MESSAGE_PATTERNS = {
    "error": [r'<small id="[^"]*-error" class="field-error">(.*?)</small>',
              r'<div id="[^"]*-error" class="console-field-error">(.*?)</div>',
              r'<p class="flash flash-error">(.*?)</p>',
              r'<div class="invalid-feedback">(.*?)</div>',
              r'<div class="alert alert-danger alert-dismissable">(.*?)</div>',
              r'<div class="text-danger">(.*?)</div>',
              r'<ul class="preview-errors">(.*?)</ul>'],
    "success": [r'<p class="flash flash-success">(.*?)</p>',
                r'<div class="alert alert-success alert-dismissable">(.*?)</div>'],
}
# WTForms' and Flask-Admin's English defaults, and Werkzeug's error pages.
ENGLISH = re.compile(
    r"This field is required|Not a valid|Invalid (input|value|choice|email|length|field|"
    r"Choice|date|URL)|Field must|Number must|is not a valid|Failed to|Record was|must be "
    r"(at least|between|equal)|cannot be longer|CSRF|already exists|Please |"
    r"Internal Server Error|Bad Request|could not be coerced|not a valid choice|"
    r"Choices cannot be|Unknown|Error", re.IGNORECASE)
# Those anywhere on the page (a message rendered outside the usual places).
WTFORMS_DEFAULTS = re.compile(
    r"This field is required|Not a valid|Invalid (input|value|choice|email|length|date)|"
    r"Field must|Number must|could not be coerced|not a valid choice|Choices cannot be")
ERROR_TITLES = [str(title) for title, _message in PAGES.values()]


def _text(fragment):
    return html.unescape(re.sub(r"<[^>]+>|\s+", " ", fragment)).strip()


def messages(page, kind):
    found = []
    for pattern in MESSAGE_PATTERNS[kind]:
        found += [_text(m) for m in re.findall(pattern, page, re.DOTALL)]
    return [m for m in found if m]


def check_answer(response, success_texts=()):
    """The properties every answer to a POST holds (see the module's docstring);
    `response` followed its redirects. Returns the error messages shown."""
    status = response.status_code
    page = response.get_data(as_text=True)
    assert status < 500, page[:2000]
    if status >= 400:
        assert any(title in page for title in ERROR_TITLES), (status, page[:2000])
    errors, successes = messages(page, "error"), messages(page, "success")
    for message in errors + successes:
        assert not ENGLISH.search(message), f"English message: {message!r}"
    english = WTFORMS_DEFAULTS.search(_text(_visible(page)))
    assert not english, f"English message on the page: {english.group(0)!r}"
    if status == 200 and not response.history:
        said_why = errors or successes or any(text in page for text in success_texts)
        assert said_why, "a refused form must say why:\n" + page[:3000]
    return errors


def _visible(page):
    """The page without its scripts and styles."""
    return re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL)

"""Fail when the English catalogue is behind the code (issue 10: CI fails on a missing
English translation).

Extracts the messages as `make messages` does, into a temporary template, and lists
every message that is missing from translations/en/LC_MESSAGES/messages.po, left
untranslated or fuzzy, or whose placeholders (%(name)s, %s, {{ name }}) differ from
its French source. Run by tests/test_translations.py (so `make test` and CI fail), or
alone: `python -m tools.check_translations` (exit status 1 on problems)."""
import os
import re
import subprocess
import sys
import tempfile

from babel.messages.pofile import read_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CATALOGUES = {"en": os.path.join(ROOT, "translations", "en", "LC_MESSAGES", "messages.po")}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{\s*[\w.]+\s*\}\}")


def extract(target):
    """Extract every message of the code into `target`, as `make messages` does."""
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract",
                    "-F", "babel.cfg", "-k", "_l", "-o", target, "."],
                   cwd=ROOT, check=True)
    with open(target, "rb") as handle:
        return read_po(handle)


def placeholders(text):
    return sorted(re.sub(r"\s+", "", p) for p in PLACEHOLDER.findall(text or ""))


def _texts(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def problems(template, catalogue):
    """[(kind, msgid)] for each message of `template` that `catalogue` does not
    translate properly."""
    found = []
    if catalogue.fuzzy:
        found.append(("fuzzy", "(en-tête du catalogue)"))
    for message in template:
        if not message.id:
            continue
        entry = catalogue.get(message.id, context=message.context)
        source = _texts(message.id)
        label = source[0]
        if entry is None:
            found.append(("absent", label))
            continue
        translations = _texts(entry.string)
        if not all(t and t.strip() for t in translations):
            found.append(("non traduit", label))
        elif entry.fuzzy:
            found.append(("fuzzy", label))
        else:
            expected = placeholders(source[-1] if len(source) > 1 else source[0])
            singular = placeholders(source[0])
            for translation in translations:
                if placeholders(translation) not in (expected, singular):
                    found.append(("variables différentes", label))
                    break
    return found


def check(language="en"):
    with tempfile.TemporaryDirectory() as folder:
        template = extract(os.path.join(folder, "messages.pot"))
    with open(CATALOGUES[language], "rb") as handle:
        catalogue = read_po(handle, locale=language)
    return problems(template, catalogue)


def main():
    failures = 0
    for language in CATALOGUES:
        found = check(language)
        for kind, msgid in found:
            print(f"{language}: {kind}: {msgid!r}")
        failures += len(found)
    print(f"{failures} problème(s) de traduction" if failures else "Traductions complètes.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

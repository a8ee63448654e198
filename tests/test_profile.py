"""Mon compte: each screen saves and reloads, refuses what breaks a rule with a
French message next to the field, keeps what was saved before, and never shows or
touches another candidate's entries. Also the JSON lists and the no-JS refresh."""
import datetime
import html
import re
from contextlib import contextmanager

import pytest
import time_machine

from ecandidat import clock, db, profile
from ecandidat.models import (Adresse, Candidat, CandidatBac, CandidatBacSpecialite,
                              Candidature, Centre, Commission, CursusExterne, CursusInterne,
                              ExperiencePro, Formation, Stage, TypeDiplome)
from tests.conftest import sign_in
from tests.referential_sample import (LYCEE_PARIS, LYCEE_POITIERS, UNIVERSITE_POITIERS,
                                      insert_referential_sample)

INFOS = {
    "nationalite": "100", "ine": "1234567890", "cle_ine": "A", "civilite": "Mme",
    "nom_patronymique": "Martin", "nom_usuel": "", "prenom": "Camille", "autre_prenom": "",
    "date_naissance": "2001-05-14", "pays_naissance": "100", "departement_naissance": "86",
    "commune_naissance": "86194", "ville_naissance": "", "telephone": "05 49 45 30 00",
    "telephone_portable": "06 12 34 56 78",
}
ADRESSE = {
    "pays": "100", "code_postal": "86000", "commune": "86194", "ville_etrangere": "",
    "adresse1": "2 rue de l'église", "adresse2": "Bâtiment B", "adresse3": "Appartement 3",
    "cedex": "",
}
BAC = {
    "annee_obtention": "2022", "serie": "G", "mention": "AB", "pays": "100",
    "departement": "86", "commune": "86194", "etablissement": LYCEE_POITIERS,
    "specialite1": "MATH", "specialite2": "SES",
}
CURSUS = {
    "annee": "2016", "pays": "100", "departement": "86", "commune": "86194",
    "etablissement": UNIVERSITE_POITIERS, "etablissement_libelle": "", "cursus_type": "DUT",
    "libelle": "DUT Gestion des Entreprises et des Administrations", "niveau": "Bac+2",
    "obtenu": "O", "mention": "Bien",
}
STAGE = {"annee": "2016", "duree": "6 mois", "heures_semaine": "35", "employeur": "EDF",
         "descriptif": "Gestion du fichier client, démarchage de nouveaux clients."}
EXPERIENCE = {"annee": "2015", "intitule": "Commercial", "duree": "2 ans",
              "employeur": "Renault France", "descriptif": "Prospection."}

URL = {
    "summary": "/mon-compte/", "infos": "/mon-compte/informations-personnelles",
    "adresse": "/mon-compte/adresse", "bac": "/mon-compte/baccalaureat",
    "cursus_interne": "/mon-compte/cursus-interne", "cursus": "/mon-compte/cursus-externe",
    "stages": "/mon-compte/stages", "experiences": "/mon-compte/experiences-pro",
}


@pytest.fixture
def referential(app):
    insert_referential_sample()


@pytest.fixture
def candidat(candidate_client, referential):
    return _candidat_of(candidate_client.compte)


def _candidat_of(compte):
    candidat, _ = Candidat.get_or_create(compte=compte, defaults={
        "nom_patronymique": compte.nom, "prenom": compte.prenom})
    return candidat


def reload(candidat):
    return Candidat.get_by_id(candidat.id)


def page(response):
    """The response's HTML with entities decoded, to compare with French text."""
    return html.unescape(response.get_data(as_text=True))


def post(client, url, data, **changes):
    return client.post(url, data={**data, **changes})


def years_ago(years, days=0):
    today = clock.today()
    return (today.replace(year=today.year - years, day=min(today.day, 28))
            + datetime.timedelta(days=days))


@contextmanager
def counted_queries():
    """Count the SQL statements run inside the block."""
    database = db.database.obj
    run = database.execute_sql
    counter = {"queries": 0}

    def counting(*args, **kwargs):
        counter["queries"] += 1
        return run(*args, **kwargs)

    database.execute_sql = counting
    try:
        yield counter
    finally:
        del database.execute_sql


def make_candidature(candidat, cancelled=False):
    """A candidature to a formation built from scratch (centre, commission…)."""
    today = clock.today()
    centre = Centre.create(code="DSS", libelle="UFR Droit et Sciences Sociales")
    commission = Commission.create(code="COM-AES", libelle="Commission AES", centre=centre)
    formation = Formation.create(
        code="M1AES", libelle="M1 Administration Economique et Sociale",
        type_diplome=TypeDiplome.create(code="MASTER", libelle="Master"),
        commission=commission, date_debut_depot=today - datetime.timedelta(days=5),
        date_fin_depot=today + datetime.timedelta(days=30),
        date_retour=today + datetime.timedelta(days=40))
    return Candidature.create(candidat=candidat, formation=formation,
                              date_annulation=clock.now() if cancelled else None)


@pytest.fixture
def other_candidat(make_compte, referential):
    """Another candidate with one cursus, one stage and one expérience."""
    compte, _ = make_compte(email="autre@example.org", nom="DURAND", prenom="Alex")
    other = _candidat_of(compte)
    return {
        "cursus": CursusExterne.create(candidat=other, annee=2015, libelle="BTS Tourisme",
                                       obtenu="O"),
        "stages": Stage.create(candidat=other, annee=2015, duree="2 mois",
                               employeur="SNCF Réseau"),
        "experiences": ExperiencePro.create(candidat=other, annee=2014, intitule="Vendeur",
                                            duree="1 an", employeur="Fnac Poitiers"),
    }


# --- Access -----------------------------------------------------------------------------

PROFILE_PAGES = list(URL.values()) + [
    "/mon-compte/cursus-externe/nouveau", "/mon-compte/cursus-externe/1/modifier",
    "/mon-compte/cursus-externe/1/supprimer", "/mon-compte/stages/nouveau",
    "/mon-compte/stages/1/modifier", "/mon-compte/stages/1/supprimer",
    "/mon-compte/experiences-pro/nouvelle", "/mon-compte/experiences-pro/1/modifier",
    "/mon-compte/experiences-pro/1/supprimer"]


@pytest.mark.parametrize("url", PROFILE_PAGES)
def test_anonymous_visitors_are_sent_to_connexion(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


@pytest.mark.parametrize("url", PROFILE_PAGES[:8])
def test_every_screen_renders_for_a_candidate(candidate_client, referential, url):
    assert candidate_client.get(url).status_code == 200


# --- Mon compte ---------------------------------------------------------------------------

def test_mon_compte_shows_which_sections_are_complete(candidate_client, candidat):
    first = page(candidate_client.get(URL["summary"]))
    assert first.count("À compléter (obligatoire)") == 3
    assert candidate_client.compte.numero_dossier in first

    post(candidate_client, URL["infos"], INFOS)
    post(candidate_client, URL["adresse"], ADRESSE)
    post(candidate_client, URL["bac"], BAC)
    post(candidate_client, URL["stages"] + "/nouveau", STAGE)

    summary = page(candidate_client.get(URL["summary"]))
    assert "À compléter (obligatoire)" not in summary
    assert "vous pouvez candidater" in summary
    assert "1 stage" in summary
    state = profile.completeness(reload(candidat))
    assert state.ready_to_apply and state.missing == [] and state.stages == 1


def test_completeness_is_read_in_a_bounded_number_of_queries(candidat):
    for year in range(2010, 2020):
        Stage.create(candidat=candidat, annee=year, duree="1 mois", employeur="X")
    with counted_queries() as counter:
        state = profile.completeness(candidat)
    assert state.stages == 10 and not state.ready_to_apply
    assert counter["queries"] == 1


# --- Informations perso. -------------------------------------------------------------------

def test_infos_perso_save_then_reload_and_lead_to_adresse(candidate_client, candidat):
    response = post(candidate_client, URL["infos"], INFOS, ine="1234567890", cle_ine="a")
    assert response.status_code == 302
    assert response.headers["Location"] == URL["adresse"]

    saved = reload(candidat)
    assert (saved.nationalite_id, saved.ine, saved.cle_ine) == ("100", "1234567890", "A")
    assert saved.date_naissance == datetime.date(2001, 5, 14)
    assert (saved.commune_naissance_id, saved.departement_naissance_id) == ("86194", "86")
    assert saved.ville_naissance is None

    form = page(candidate_client.get(URL["infos"]))
    assert 'value="1234567890"' in form and 'value="2001-05-14"' in form
    assert '<option selected value="86194">Poitiers</option>' in form
    assert "Vos informations personnelles ont été enregistrées." in form


def test_infos_perso_accepts_the_date_as_typed_in_french(candidate_client, candidat):
    post(candidate_client, URL["infos"], INFOS, date_naissance="14/05/2001")
    assert reload(candidat).date_naissance == datetime.date(2001, 5, 14)


def test_ine_typed_in_lower_case_with_spaces_is_stored_upper_case(candidate_client, candidat):
    post(candidate_client, URL["infos"], INFOS, ine="123 456 789", cle_ine="ab")
    assert (reload(candidat).ine, reload(candidat).cle_ine) == ("123456789", "AB")


@pytest.mark.parametrize("ine, cle, field, message", [
    ("12345678", "ABC", "ine", "L'INE compte 9 ou 10 caractères"),
    ("1234567890", "AB", "cle_ine", "11 caractères en tout"),
    ("12345678-0", "A", "ine", "chiffres et lettres majuscules"),
    ("1234567890", "", "cle_ine", "Saisissez la clé de votre INE."),
    ("", "", "ine", "L'INE est obligatoire pour les candidats de nationalité française."),
])
def test_ine_format_is_refused_with_a_message(candidate_client, candidat, ine, cle, field,
                                              message):
    response = post(candidate_client, URL["infos"], INFOS, ine=ine, cle_ine=cle)
    assert response.status_code == 200
    html = page(response)
    assert message in html
    assert f'id="{field}-error"' in html
    assert reload(candidat).date_naissance is None  # nothing saved


def test_ine_is_optional_for_a_foreign_national_born_abroad(candidate_client, candidat):
    response = post(candidate_client, URL["infos"], INFOS, nationalite="109", ine="",
                    cle_ine="", pays_naissance="109", ville_naissance="Berlin",
                    departement_naissance="86", commune_naissance="86194")
    assert response.status_code == 302
    saved = reload(candidat)
    assert saved.ine is None and saved.ville_naissance == "Berlin"
    assert saved.commune_naissance_id is None and saved.departement_naissance_id is None


# A 31st, noon in Paris: the day that once broke a test computing "years ago" by hand.
FROZEN_NOW = datetime.datetime(2026, 3, 31, 10, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture
def on_march_31():
    """Frozen before the client signs in: a session signed in the future is refused."""
    with time_machine.travel(FROZEN_NOW, tick=False):
        yield


@pytest.mark.parametrize("birth, accepted", [
    ("2016-04-01", False), ("2016-03-31", True),  # 10 years ago
    ("1926-03-30", False), ("1926-03-31", True),  # 100 years ago
])
def test_birth_date_must_be_10_to_100_years_ago(on_march_31, candidate_client, candidat, birth,
                                                accepted):
    response = post(candidate_client, URL["infos"], INFOS, date_naissance=birth)
    refused = "La date de naissance doit être comprise entre le 31/03/1926 et le 31/03/2016."
    assert (refused in page(response)) is not accepted
    saved = reload(candidat).date_naissance
    assert (saved == datetime.date.fromisoformat(birth)) is accepted


def test_birth_date_that_is_not_a_date_gets_a_french_message(candidate_client, candidat):
    response = post(candidate_client, URL["infos"], INFOS, date_naissance="31/02/2001")
    assert "Saisissez une date valide, au format jj/mm/aaaa." in page(response)


def test_birth_commune_of_another_departement_is_refused(candidate_client, candidat):
    response = post(candidate_client, URL["infos"], INFOS, departement_naissance="75")
    assert "Cette commune n'est pas dans le département choisi." in page(response)
    assert reload(candidat).commune_naissance_id is None


def test_a_refused_submission_keeps_what_was_typed_and_what_was_saved(candidate_client,
                                                                        candidat):
    post(candidate_client, URL["infos"], INFOS)
    response = post(candidate_client, URL["infos"], INFOS, prenom="Camille-Anne",
                    telephone="appelez-moi")
    html = page(response)
    assert "Saisissez un numéro de téléphone valide" in html
    assert 'value="Camille-Anne"' in html and 'value="appelez-moi"' in html
    saved = reload(candidat)
    assert saved.prenom == "Camille" and saved.telephone == "05 49 45 30 00"


def test_personal_information_freezes_once_a_candidature_exists(candidate_client, candidat):
    post(candidate_client, URL["infos"], INFOS)
    make_candidature(candidat)
    assert profile.is_frozen(candidat)

    html = page(candidate_client.get(URL["infos"]))
    assert "ne sont plus modifiables" in html
    assert "1234567890" in html and "Poitiers" in html and "Français(e)" in html
    assert "<form" not in html.split('id="contenu"')[1]

    response = post(candidate_client, URL["infos"], INFOS, prenom="Autre")
    assert response.status_code == 403
    assert reload(candidat).prenom == "Camille"
    with pytest.raises(profile.ProfileFrozen):
        profile.save_infos_perso(candidat, dict(INFOS, prenom="Autre"))


def test_a_cancelled_candidature_does_not_freeze(candidate_client, candidat):
    make_candidature(candidat, cancelled=True)
    assert not profile.is_frozen(candidat)
    assert post(candidate_client, URL["infos"], INFOS).status_code == 302


def test_the_frozen_page_is_read_in_a_bounded_number_of_queries(candidate_client, candidat):
    post(candidate_client, URL["infos"], INFOS)
    make_candidature(candidat)
    with counted_queries() as counter:
        candidate_client.get(URL["infos"])
    assert counter["queries"] <= 6


# --- Adresse -------------------------------------------------------------------------------

def test_adresse_save_then_reload_and_lead_to_bac(candidate_client, candidat):
    response = post(candidate_client, URL["adresse"], ADRESSE)
    assert response.headers["Location"] == URL["bac"]
    adresse = Adresse.get_by_id(reload(candidat).adresse_id)
    assert (adresse.code_postal, adresse.commune_id, adresse.adresse1) == (
        "86000", "86194", "2 rue de l'église")

    post(candidate_client, URL["adresse"], ADRESSE, adresse1="3 rue Jean Carbonnier")
    assert Adresse.select().count() == 1  # updated in place
    html = page(candidate_client.get(URL["adresse"]))
    assert 'value="3 rue Jean Carbonnier"' in html
    assert '<option selected value="86194">Poitiers</option>' in html


def test_commune_not_carrying_the_postal_code_is_refused(candidate_client, candidat):
    response = post(candidate_client, URL["adresse"], ADRESSE, code_postal="86180")
    assert "Cette commune ne correspond pas au code postal saisi." in page(response)
    assert reload(candidat).adresse_id is None


def test_french_postal_code_has_five_digits(candidate_client, candidat):
    response = post(candidate_client, URL["adresse"], ADRESSE, code_postal="8600")
    assert "Saisissez un code postal de 5 chiffres." in page(response)


def test_address_abroad_takes_a_free_city(candidate_client, candidat):
    response = post(candidate_client, URL["adresse"], ADRESSE, pays="109", code_postal="10115",
                    ville_etrangere="Berlin", cedex="9")
    assert response.status_code == 302
    adresse = Adresse.get_by_id(reload(candidat).adresse_id)
    assert (adresse.ville_etrangere, adresse.commune_id, adresse.cedex) == ("Berlin", None, None)

    missing = post(candidate_client, URL["adresse"], ADRESSE, pays="109", ville_etrangere="")
    assert "Saisissez votre ville." in page(missing)


def test_an_invalid_adresse_leaves_the_saved_sections_alone(candidate_client, candidat):
    post(candidate_client, URL["infos"], INFOS)
    post(candidate_client, URL["adresse"], ADRESSE)
    post(candidate_client, URL["adresse"], ADRESSE, code_postal="75001", adresse1="Ailleurs")
    saved = reload(candidat)
    assert saved.ine == "1234567890"
    assert Adresse.get_by_id(saved.adresse_id).adresse1 == "2 rue de l'église"


# --- Baccalauréat -------------------------------------------------------------------------

def test_bac_save_then_reload_and_lead_to_cursus(candidate_client, candidat):
    response = post(candidate_client, URL["bac"], BAC)
    assert response.headers["Location"] == URL["cursus"]
    bac = CandidatBac.get(CandidatBac.candidat == candidat)
    assert (bac.annee_obtention, bac.serie_id, bac.etablissement_id) == (2022, "G", LYCEE_POITIERS)
    assert [s.specialite_id for s in bac.specialites.order_by(CandidatBacSpecialite.id)] == [
        "MATH", "SES"]

    html = page(candidate_client.get(URL["bac"]))
    assert '<option selected value="0860034V">Lycée Camille Guérin</option>' in html
    assert '<option selected value="SES">' in html


def test_series_not_valid_that_year_is_refused(candidate_client, candidat):
    response = post(candidate_client, URL["bac"], BAC, annee_obtention="2023", serie="ES",
                    specialite1="", specialite2="")
    assert "n'est pas délivrée en 2023" in page(response)
    assert CandidatBac.select().count() == 0


def test_etablissement_of_another_commune_is_refused(candidate_client, candidat):
    response = post(candidate_client, URL["bac"], BAC, etablissement=LYCEE_PARIS)
    assert "Cet établissement n'est pas situé dans la commune choisie." in page(response)
    assert CandidatBac.select().count() == 0


def test_bac_commune_of_another_departement_is_refused(candidate_client, candidat):
    response = post(candidate_client, URL["bac"], BAC, departement="75")
    assert "Cette commune n'est pas dans le département choisi." in page(response)


def test_specialites_only_for_a_series_that_has_them(candidate_client, candidat):
    response = post(candidate_client, URL["bac"], BAC, annee_obtention="2019", serie="ES")
    assert "La série choisie n'a pas de spécialités" in page(response)

    missing = post(candidate_client, URL["bac"], BAC, specialite2="")
    assert "Choisissez vos deux spécialités de terminale." in page(missing)
    twice = post(candidate_client, URL["bac"], BAC, specialite2="MATH")
    assert "Choisissez deux spécialités différentes." in page(twice)
    assert CandidatBac.select().count() == 0


def test_a_pre_reform_bac_without_specialites_is_saved(candidate_client, candidat):
    post(candidate_client, URL["bac"], BAC, annee_obtention="2017", serie="ES",
         specialite1="", specialite2="")
    bac = CandidatBac.get(CandidatBac.candidat == candidat)
    assert bac.serie_id == "ES" and bac.specialites.count() == 0


def test_sans_bac_clears_the_rest(candidate_client, candidat):
    post(candidate_client, URL["bac"], BAC)
    response = post(candidate_client, URL["bac"], BAC, sans_bac="y", etablissement=LYCEE_PARIS)
    assert response.status_code == 302
    bac = CandidatBac.get(CandidatBac.candidat == candidat)
    assert (bac.serie_id, bac.annee_obtention, bac.etablissement_id) == ("SANS", None, None)
    assert bac.specialites.count() == 0
    form = page(candidate_client.get(URL["bac"]))
    assert re.search(r'<input[^>]* checked [^>]*id="sans_bac"', form)
    assert profile.completeness(candidat).bac


def test_bac_year_out_of_range_gets_a_message(candidate_client, candidat):
    response = post(candidate_client, URL["bac"], BAC, annee_obtention="1850")
    assert "Saisissez une année entre 1950 et" in page(response)


# --- No-JS refresh of the dependent lists ----------------------------------------------------

def test_refresh_re_renders_the_communes_of_the_typed_postal_code(candidate_client, candidat):
    response = candidate_client.post(URL["adresse"], data={
        "pays": "100", "code_postal": "86180", "refresh": "1"})
    html = page(response)
    assert response.status_code == 200
    assert '<option value="86041">Buxerolles</option>' in html
    assert "Poitiers" not in html
    assert "field-error" not in html and "Le formulaire contient des erreurs" not in html
    assert reload(candidat).adresse_id is None


def test_refresh_shows_the_series_of_the_typed_year_and_saves_nothing(candidate_client,
                                                                     candidat):
    post(candidate_client, URL["bac"], BAC)
    html = page(candidate_client.post(URL["bac"], data={
        "annee_obtention": "2018", "pays": "100", "departement": "75", "refresh": "1"}))
    assert '<option value="ES">' in html and 'value="G"' not in html
    assert '<option value="75056">Paris</option>' in html
    assert "field-error" not in html
    assert CandidatBac.get(CandidatBac.candidat == candidat).serie_id == "G"


def test_refresh_shows_the_fields_for_a_birth_abroad(candidate_client, candidat):
    html = page(candidate_client.post(URL["infos"], data={
        "pays_naissance": "109", "refresh": "1"}))
    assert '<div data-show-if="pays_naissance" data-equals="100" hidden>' in html
    assert '<div data-show-if="pays_naissance" data-not-equals="100">' in html
    assert reload(candidat).pays_naissance_id is None


def test_the_pages_load_the_dependent_lists_script(candidate_client, referential):
    html = page(candidate_client.get(URL["bac"]))
    assert re.search(r'<script src="/static/js/dependent-lists\.js\?v=[0-9a-f]+" defer></script>',
                     html)
    assert 'data-source="/api/etablissements?type=LYC"' in html
    assert 'name="refresh"' in html and "Actualiser les listes" in html


@pytest.mark.parametrize("url, data", [
    (URL["infos"], dict(INFOS, civilite="X", date_naissance="hier", nationalite="999")),
    (URL["bac"], dict(BAC, annee_obtention="deux mille", serie="ZZ", mention="ZZ")),
    (URL["stages"] + "/nouveau", dict(STAGE, annee="", heures_semaine="beaucoup")),
    (URL["cursus"] + "/nouveau", dict(CURSUS, obtenu="X", pays="ZZZ")),
])
def test_tampered_or_unreadable_values_get_french_messages_only(candidate_client, candidat,
                                                                url, data):
    html = page(candidate_client.post(url, data=data))
    assert "Le formulaire contient des erreurs" in html
    assert "Not a valid" not in html and "Invalid" not in html


def test_wizard_buttons(candidate_client, referential):
    infos = page(candidate_client.get(URL["infos"]))
    assert '<a href="/mon-compte/" role="button" class="secondary">Annuler</a>' in infos
    assert '<button type="submit">Suivant</button>' in infos
    stage_form = page(candidate_client.get(URL["stages"] + "/nouveau"))
    assert '<a href="/mon-compte/stages" role="button" class="secondary">Annuler</a>' in stage_form
    assert '<button type="submit">Enregistrer</button>' in stage_form
    assert 'href="/mon-compte/stages" role="button">Suivant' in page(
        candidate_client.get(URL["cursus"]))


# --- Cursus interne ---------------------------------------------------------------------

def test_cursus_interne_is_read_only_with_an_explained_empty_state(candidate_client, candidat):
    assert "se remplit automatiquement" in page(candidate_client.get(URL["cursus_interne"]))
    CursusInterne.create(candidat=candidat, annee=2020, libelle="Licence 1 Droit",
                         resultat="Admis")
    html = page(candidate_client.get(URL["cursus_interne"]))
    assert "Licence 1 Droit" in html and "Admis" in html and "<form" not in html.split(
        'id="contenu"')[1]


# --- Cursus externe, stages, expériences ---------------------------------------------------

def test_cursus_externe_add_list_edit_delete(candidate_client, candidat):
    response = post(candidate_client, URL["cursus"] + "/nouveau", CURSUS)
    assert response.headers["Location"] == URL["cursus"]
    cursus = CursusExterne.get(CursusExterne.candidat == candidat)
    assert (cursus.etablissement_id, cursus.cursus_type_id, cursus.obtenu) == (
        UNIVERSITE_POITIERS, "DUT", "O")
    html = page(candidate_client.get(URL["cursus"]))
    assert "DUT Gestion des Entreprises" in html and "Université de Poitiers" in html
    assert "Obtenu" in html

    edit_url = f"{URL['cursus']}/{cursus.id}/modifier"
    assert 'value="DUT Gestion des Entreprises' in page(candidate_client.get(edit_url))
    post(candidate_client, edit_url, CURSUS, obtenu="E", etablissement="",
         etablissement_libelle="IUT de Poitiers")
    cursus = CursusExterne.get_by_id(cursus.id)
    assert (cursus.obtenu, cursus.etablissement_id, cursus.etablissement_libelle) == (
        "E", None, "IUT de Poitiers")

    delete_url = f"{URL['cursus']}/{cursus.id}/supprimer"
    confirm = page(candidate_client.get(delete_url))
    assert "Voulez-vous vraiment supprimer" in confirm
    assert CursusExterne.select().count() == 1  # asking is not deleting
    assert candidate_client.post(delete_url).headers["Location"] == URL["cursus"]
    assert CursusExterne.select().count() == 0


def test_cursus_abroad_takes_the_name_of_the_etablissement(candidate_client, candidat):
    missing = post(candidate_client, URL["cursus"] + "/nouveau", CURSUS, pays="109",
                   etablissement_libelle="")
    assert "Saisissez le nom de l'établissement." in page(missing)
    post(candidate_client, URL["cursus"] + "/nouveau", CURSUS, pays="109",
         etablissement_libelle="Universität Leipzig")
    cursus = CursusExterne.get(CursusExterne.candidat == candidat)
    assert (cursus.commune_id, cursus.etablissement_id) == (None, None)


@pytest.mark.parametrize("changes, message", [
    ({"etablissement": LYCEE_PARIS}, "Cet établissement n'est pas situé dans la commune choisie."),
    ({"departement": "75"}, "Cette commune n'est pas dans le département choisi."),
    ({"etablissement": ""}, "Choisissez un établissement dans la liste ou saisissez son nom."),
    ({"cursus_type": "XXX"}, "Choisissez un type de formation dans la liste."),
    ({"obtenu": "Z"}, "Indiquez si le diplôme est obtenu, non obtenu ou en cours."),
    ({"annee": "deux mille"}, "Saisissez une année sur 4 chiffres."),
])
def test_cursus_externe_refusals(candidate_client, candidat, changes, message):
    response = post(candidate_client, URL["cursus"] + "/nouveau", CURSUS, **changes)
    assert message in page(response)
    assert CursusExterne.select().count() == 0


@pytest.mark.parametrize("section, data, model, field", [
    ("stages", STAGE, Stage, "employeur"),
    ("experiences", EXPERIENCE, ExperiencePro, "intitule"),
])
def test_stage_and_experience_add_edit_delete(candidate_client, candidat, section, data, model,
                                              field):
    new_url = URL[section] + ("/nouvelle" if section == "experiences" else "/nouveau")
    assert post(candidate_client, new_url, data).headers["Location"] == URL[section]
    entry = model.get(model.candidat == candidat)
    assert getattr(entry, field) == data[field]
    assert data[field] in page(candidate_client.get(URL[section]))

    post(candidate_client, f"{URL[section]}/{entry.id}/modifier", data, **{field: "Nouveau"})
    assert getattr(model.get_by_id(entry.id), field) == "Nouveau"

    candidate_client.post(f"{URL[section]}/{entry.id}/supprimer")
    assert model.select().count() == 0


@pytest.mark.parametrize("url, data, message", [
    ("/mon-compte/stages/nouveau", dict(STAGE, heures_semaine="120"),
     "Saisissez un nombre entre 1 et 80."),
    ("/mon-compte/stages/nouveau", dict(STAGE, descriptif=""), "Décrivez vos missions."),
    ("/mon-compte/stages/nouveau", dict(STAGE, annee=str(clock.today().year + 1)),
     "Saisissez une année entre 1950 et"),
    ("/mon-compte/experiences-pro/nouvelle", dict(EXPERIENCE, intitule=""),
     "Saisissez l'intitulé du poste."),
])
def test_stage_and_experience_refusals(candidate_client, candidat, url, data, message):
    response = candidate_client.post(url, data=data)
    assert message in page(response)
    assert Stage.select().count() + ExperiencePro.select().count() == 0


@pytest.mark.parametrize("section", ["cursus", "stages", "experiences"])
@pytest.mark.parametrize("action", ["modifier", "supprimer"])
def test_another_candidates_entries_are_404(candidate_client, candidat, other_candidat,
                                            section, action):
    entry = other_candidat[section]
    stored = type(entry).get_by_id(entry.id).__data__
    url = f"{URL[section]}/{entry.id}/{action}"
    assert candidate_client.get(url).status_code == 404
    data = {"cursus": CURSUS, "stages": STAGE, "experiences": EXPERIENCE}[section]
    assert candidate_client.post(url, data=data).status_code == 404
    assert type(entry).get_by_id(entry.id).__data__ == stored  # untouched
    listed = page(candidate_client.get(URL[section]))
    assert not any(text in listed for text in ("BTS Tourisme", "SNCF Réseau", "Fnac Poitiers"))


@pytest.mark.parametrize("section, factory", [
    ("cursus", lambda c, i: CursusExterne.create(
        candidat=c, annee=2000 + i, libelle=f"Formation {i}", obtenu="O", pays="100",
        commune="86194", etablissement=UNIVERSITE_POITIERS, cursus_type="DUT")),
    ("stages", lambda c, i: Stage.create(candidat=c, annee=2000 + i, duree="1 mois",
                                         employeur=f"Employeur {i}")),
    ("experiences", lambda c, i: ExperiencePro.create(
        candidat=c, annee=2000 + i, intitule=f"Poste {i}", duree="1 an", employeur="X")),
])
def test_lists_run_the_same_queries_for_one_or_many_entries(candidate_client, candidat,
                                                            section, factory):
    factory(candidat, 0)
    with counted_queries() as one:
        candidate_client.get(URL[section])
    for i in range(1, 8):
        factory(candidat, i)
    with counted_queries() as many:
        html = page(candidate_client.get(URL[section]))
    assert "2007" in html
    assert many["queries"] == one["queries"]


# --- JSON endpoints ---------------------------------------------------------------------

def test_api_lists_are_public_and_return_the_children(client, referential):
    def get(url):
        response = client.get(url)
        assert response.status_code == 200 and response.is_json
        return response.get_json()

    assert get("/api/departements") == [{"value": "75", "label": "75 - Paris"},
                                        {"value": "86", "label": "86 - Vienne"}]
    assert get("/api/communes?code_postal=86180") == [{"value": "86041", "label": "Buxerolles"}]
    assert [c["label"] for c in get("/api/communes?departement=86")] == ["Buxerolles",
                                                                         "Poitiers"]
    assert [e["value"] for e in get("/api/etablissements?commune=86194")] == [
        LYCEE_POITIERS, UNIVERSITE_POITIERS]
    assert get("/api/etablissements?commune=86194&type=LYC") == [
        {"value": LYCEE_POITIERS, "label": "Lycée Camille Guérin"}]
    assert get("/api/bac/series?annee=2022") == [
        {"value": "G", "label": "Baccalauréat général", "specialites": True}]
    assert [s["value"] for s in get("/api/bac/series?annee=2010")] == ["ES"]
    assert [s["value"] for s in get("/api/bac/series")] == ["G", "ES"]  # "Sans bac" apart
    assert len(get("/api/bac/specialites?annee=2022")) == 3
    assert get("/api/bac/specialites?annee=2019") == []
    assert [m["label"] for m in get("/api/bac/mentions?annee=2022")] == [
        "Assez bien", "Bien", "Passable", "Très bien"]


@pytest.mark.parametrize("url", [
    "/api/communes", "/api/communes?code_postal=8600", "/api/communes?departement=x' or 1=1",
    "/api/etablissements?commune=", "/api/etablissements?commune=abc"])
def test_api_gives_an_empty_list_for_a_missing_or_malformed_parent(client, referential, url):
    assert client.get(url).get_json() == []


# --- Older candidates: the séries of before 1995 ----------------------------------------------

def _csrf_token(html_text):
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html_text) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html_text)
    assert match, "no csrf_token in the page"
    return match.group(1)


def test_a_1994_bac_is_offered_the_series_of_its_time(app, candidate_client, candidat):
    """With the shipped séries loaded and CSRF on: the page refreshed for 1994 offers C,
    D', F7', H… and not S/ES/L/G; a 1994 bac in série C is saved, S is refused."""
    from ecandidat.referential.loader import TABLES, load_table

    load_table(next(table for table in TABLES if table.label == "Séries de bac"))
    app.config["WTF_CSRF_ENABLED"] = True
    token = _csrf_token(page(candidate_client.get(URL["bac"])))
    refreshed = page(candidate_client.post(URL["bac"], data={
        "csrf_token": token, "annee_obtention": "1994", "pays": "100", "departement": "86",
        "refresh": "1"}))
    for code, libelle in (("C", "C - Mathématiques et sciences physiques"),
                          ("DP", "D' - Sciences agronomiques et techniques"),
                          ("F7P", "F7' - Sciences biologiques, option biologie"),
                          ("G2", "G2 - Techniques quantitatives de gestion"),
                          ("H", "H - Techniques informatiques")):
        assert f'<option value="{code}">{libelle}</option>' in refreshed
    for code in ("S", "ES", "L", "G", "STT"):
        assert f'value="{code}"' not in refreshed
    assert CandidatBac.select().count() == 0
    assert "C" in [s["value"] for s in candidate_client.get(
        "/api/bac/series?annee=1994").get_json()]

    old_bac = dict(BAC, annee_obtention="1994", serie="C", specialite1="", specialite2="")
    without_token = post(candidate_client, URL["bac"], old_bac)
    assert without_token.status_code == 200 and "Votre session a expiré" in page(without_token)
    assert CandidatBac.select().count() == 0
    too_late = post(candidate_client, URL["bac"], old_bac, serie="S",
                    csrf_token=_csrf_token(refreshed))
    assert "n'est pas délivrée en 1994" in page(too_late)
    assert CandidatBac.select().count() == 0

    response = post(candidate_client, URL["bac"], old_bac, csrf_token=_csrf_token(refreshed))
    assert response.status_code == 302 and response.headers["Location"] == URL["cursus"]
    bac = CandidatBac.get(CandidatBac.candidat == candidat)
    assert (bac.annee_obtention, bac.serie_id, bac.etablissement_id) == (1994, "C", LYCEE_POITIERS)
    assert bac.specialites.count() == 0
    assert '<option selected value="C">' in page(candidate_client.get(URL["bac"]))

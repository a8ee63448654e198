"""The console's lists load what they show with their rows: a page of a list runs
the same number of SQL statements with 10 rows as with 500 (no query per row),
for an administrator and for a gestionnaire (whose scope filters the list)."""
import pytest

from ecandidat import clock
from ecandidat.db import database
from ecandidat.models import (Avis, Candidat, Candidature, CandidatureTag, Centre, Commission,
                              CompteCandidat, Formation, PieceJustificative, Question, Tag,
                              TypeDiplome)
from test_catalog import counting_queries
from test_console import console_login

TODAY = clock.today()
# Spread the rows over several centres, commissions and formations, so that a
# relation loaded per row would show.
CENTRES, COMMISSIONS_PER_CENTRE = 2, 3


@pytest.fixture
def offer(app):
    diplome = TypeDiplome.create(code="MASTER", libelle="MASTER")
    commissions, formations = [], []
    for c in range(CENTRES):
        centre = Centre.create(code=f"C{c}", libelle=f"Centre {c}")
        for k in range(COMMISSIONS_PER_CENTRE):
            commission = Commission.create(code=f"COM{c}{k}", libelle=f"Commission {c}{k}",
                                           centre=centre)
            commissions.append(commission)
            formations.append(Formation.create(
                code=f"F{c}{k}", libelle=f"Formation {c}{k}", type_diplome=diplome,
                commission=commission, date_debut_depot=TODAY, date_fin_depot=TODAY,
                date_retour=TODAY))
    return dict(diplome=diplome, commissions=commissions, formations=formations)


def more_formations(offer, start, stop):
    Formation.insert_many([dict(
        code=f"X{n}", libelle=f"Extra {n}", type_diplome=offer["diplome"].id,
        commission=offer["commissions"][n % len(offer["commissions"])].id,
        date_debut_depot=TODAY, date_fin_depot=TODAY, date_retour=TODAY)
        for n in range(start, stop)]).execute()


def more_commissions(offer, start, stop):
    centres = [c.id for c in Centre.select().order_by(Centre.id)]
    Commission.insert_many([dict(code=f"CX{n}", libelle=f"Commission extra {n}",
                                 centre=centres[n % len(centres)])
                            for n in range(start, stop)]).execute()


def more_items(model, prefix):
    def add(offer, start, stop):
        formations, centres = offer["formations"], [c.id for c in Centre.select()]
        model.insert_many([dict(
            code=f"{prefix}{n}", libelle=f"{prefix} {n}",
            # a third for a centre, the rest for a formation
            centre=centres[n % len(centres)] if n % 3 == 0 else None,
            formation=None if n % 3 == 0 else formations[n % len(formations)].id)
            for n in range(start, stop)]).execute()
    return add


def more_tags(offer, start, stop):
    centres = [c.id for c in Centre.select()]
    Tag.insert_many([dict(libelle=f"Tag {n}", centre=centres[n % len(centres)])
                     for n in range(start, stop)]).execute()


def more_candidatures(offer, start, stop):
    now = clock.now()
    numbers = range(start, stop)
    with database.atomic():
        CompteCandidat.insert_many([
            dict(numero_dossier=f"B{n:07d}", nom=f"NOM{n}", prenom="Bulk",
                 email=f"bulk{n}@example.org", valide=True) for n in numbers]).execute()
        comptes = [c.id for c in CompteCandidat.select(CompteCandidat.id).where(
            CompteCandidat.numero_dossier.in_([f"B{n:07d}" for n in numbers]))]
        Candidat.insert_many([dict(compte=compte, nom_patronymique=f"NOM{n}", prenom="Bulk")
                              for n, compte in zip(numbers, comptes)]).execute()
        candidats = [c.id for c in Candidat.select(Candidat.id).where(
            Candidat.compte.in_(comptes))]
        formations = offer["formations"]
        Candidature.insert_many([
            dict(candidat=candidat, formation=formations[i % len(formations)].id,
                 statut=("RE", "CO", "IN")[i % 3], date_transmission=now, date_reception=now)
            for i, candidat in enumerate(candidats)]).execute()
        ids = [c.id for c in Candidature.select(Candidature.id).where(
            Candidature.candidat.in_(candidats))]
        Avis.insert_many([dict(candidature=i, type_avis="LA") for i in ids]).execute()
        tag = Tag.get_or_none(Tag.libelle == "Bulk") or Tag.create(libelle="Bulk")
        CandidatureTag.insert_many([dict(candidature=i, tag=tag.id) for i in ids[::2]]).execute()


LISTS = {
    "/admin/formation/": more_formations,
    "/admin/commission/": more_commissions,
    "/admin/piecejustificative/": more_items(PieceJustificative, "P"),
    "/admin/question/": more_items(Question, "Q"),
    "/admin/tag/": more_tags,
    "/admin/candidature/": more_candidatures,
}


def statements(client, url):
    with counting_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return counter.count


@pytest.mark.parametrize("role, scope", [("admin", None), ("gestionnaire", "C0")])
@pytest.mark.parametrize("url", list(LISTS))
def test_a_list_page_runs_as_many_statements_for_10_as_for_500_rows(
        app, client, offer, url, role, scope):
    console_login(client, role=role, scope=scope)
    add = LISTS[url]
    add(offer, 0, 10)
    client.get(url)  # a first page warms what is loaded once per process
    with_10 = statements(client, url)
    add(offer, 10, 500)
    with_500 = statements(client, url)
    assert with_500 == with_10, (url, with_10, with_500)
    # a later page too
    assert statements(client, url + "?page=5") == with_500

"""The candidate dossier PDF: content, merged pieces, unreadable pieces, paper cover
sheet, and the URL fetcher that keeps WeasyPrint local."""
import datetime
import io
import logging
import os

import pytest
import weasyprint
from PIL import Image
from pypdf import PdfReader
from weasyprint.urls import path2url

from ecandidat import clock, storage, workflow
from ecandidat.models import (Adresse, Candidat, CandidatBac, CandidatBacSpecialite,
                              Candidature, CursusExterne, CursusInterne, ExperiencePro,
                              PieceCandidat, PieceJustificative, ReponseQuestion, Stage)
from ecandidat.pdf import LocalURLFetcher, dossier_pdf, dossier_summary_pdf
from factories import open_formation, pieces, question
from referential_sample import LYCEE_POITIERS, UNIVERSITE_POITIERS, insert_referential_sample


def two_page_pdf():
    return weasyprint.HTML(string="<p>Relevé semestre un</p>"
                                  "<p style='break-before: page'>Relevé semestre deux</p>"
                           ).write_pdf()


def image_bytes(kind, size=(1200, 1600)):
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize(size).convert("RGB").save(buffer, kind)
    return buffer.getvalue()


def attach(candidature, piece, data, name, shared=False):
    """Store `data` as the candidate's file for `piece` (shared: for every candidature)."""
    fichier, mime, taille = storage.save_upload(data)
    return PieceCandidat.create(candidat=candidature.candidat_id,
                                candidature=None if shared else candidature, piece=piece,
                                statut="TR", fichier=fichier, nom_original=name,
                                type_mime=mime, taille=taille)


def full_candidat(compte):
    """A French candidate with every part of the file filled in."""
    insert_referential_sample()
    adresse = Adresse.create(pays="100", code_postal="86000", commune="86194",
                             adresse1="12 rue de la Cathédrale", adresse2="Appartement 3")
    candidat = Candidat.create(
        compte=compte, civilite="Mme", nom_patronymique="MARTIN", nom_usuel="MARTIN-ROUX",
        prenom="Camille", autre_prenom="Élise", date_naissance=datetime.date(2002, 5, 17),
        pays_naissance="100", departement_naissance="86", commune_naissance="86194",
        nationalite="100", ine="1234567890", cle_ine="A", telephone="0549000000",
        telephone_portable="0600000000", adresse=adresse)
    bac = CandidatBac.create(candidat=candidat, annee_obtention=2021, serie="G", mention="TB",
                             pays="100", departement="86", commune="86194",
                             etablissement=LYCEE_POITIERS)
    for code in ("MATH", "SES"):
        CandidatBacSpecialite.create(bac=bac, specialite=code)
    CursusInterne.create(candidat=candidat, annee=2023, code_etape="L3AES",
                         libelle="Licence 3 AES", note="14,2", bareme="20", resultat="Admis")
    CursusExterne.create(candidat=candidat, annee=2022, pays="100", commune="86194",
                         etablissement=UNIVERSITE_POITIERS, cursus_type="LIC",
                         libelle="Licence 2 Économie", niveau="Bac+2", obtenu="O",
                         mention="Assez bien")
    CursusExterne.create(candidat=candidat, annee=2024, pays="109",
                         etablissement_libelle="Universität Leipzig", libelle="Erasmus",
                         obtenu="E")
    Stage.create(candidat=candidat, annee=2023, duree="2 mois", heures_semaine=35,
                 employeur="Mairie de Poitiers", descriptif="Assistante au service social.")
    Stage.create(candidat=candidat, annee=2022, duree="1 mois", employeur="CAF de la Vienne")
    ExperiencePro.create(candidat=candidat, annee=2024, intitule="Animatrice", duree="6 mois",
                         employeur="Centre social des Trois Cités")
    ExperiencePro.create(candidat=candidat, annee=2021, intitule="Caissière", duree="2 mois",
                         employeur="Supermarché", descriptif="Emploi d'été.")
    return candidat


@pytest.fixture
def dossier(app, make_compte):
    """A transmitted candidature to a demat formation with three uploaded pieces (a
    2-page PDF, a JPEG, a shared PNG), a "non concerné" piece and an answer."""
    compte, _ = make_compte()
    candidat = full_candidat(compte)
    today = clock.today()
    formation = open_formation(date_jury=today + datetime.timedelta(days=40),
                               date_publication=today + datetime.timedelta(days=45))
    asked = pieces(formation)
    asked["notes"] = PieceJustificative.create(code="NOTES", libelle="Relevé de notes",
                                               formation=formation, ordre=4)
    candidature = Candidature.create(candidat=candidat, formation=formation, statut="AT",
                                     type_traitement="AC", type_traitement_valide=True)
    attach(candidature, asked["lettre"], two_page_pdf(), "lettre.pdf")
    attach(candidature, asked["notes"], image_bytes("JPEG"), "releve-notes.jpg")
    attach(candidature, asked["identite"], image_bytes("PNG", (800, 500)), "carte-identite.png",
           shared=True)
    PieceCandidat.create(candidat=candidat, candidature=candidature, piece=asked["handicap"],
                         statut="NC")
    ReponseQuestion.create(candidature=candidature, question=question(formation),
                           reponse="oui", statut="TR")
    # Transmitted for real: the candidature keeps its own copy of the shared piece.
    return workflow.transmettre(workflow.Actor.candidat(candidat), candidature)


def page_texts(data):
    """The text of each page, whitespace collapsed (lines wrap where the layout says)."""
    assert data.startswith(b"%PDF")
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def test_dossier_contains_the_file_and_every_piece(dossier):
    dossier_pages = len(page_texts(dossier_summary_pdf(dossier)))
    assert 1 <= dossier_pages <= 4  # a full file still prints on a few pages

    pages = page_texts(dossier_pdf(dossier))

    assert len(pages) == dossier_pages + 2 + 1 + 1
    text = "\n".join(pages[:dossier_pages])
    for expected in ("MARTIN-ROUX", "Camille", dossier.candidat.compte.numero_dossier,
                     "Formation M1AES", "Dossier de candidature", "17/05/2002",
                     "Poitiers", "1234567890 A", "Baccalauréat général", "Mathématiques",
                     "Lycée Camille Guérin", "Licence 3 AES", "Universität Leipzig",
                     "En cours", "Mairie de Poitiers", "Animatrice", "Réceptionné",
                     "Accès contrôlé", "Dossier dématérialisé", "Commission M1AES",
                     "2 rue Jean Carbonnier", "Lettre de motivation", "Pièce d'identité",
                     "Relevé de notes", "Transmise", "Non concerné", "releve-notes.jpg",
                     "En alternance ?", "Oui", f"Page 1 / {dossier_pages}"):
        assert expected in text, expected
    # Pieces follow in the order asked: lettre (2 pages), identité (shared), notes.
    assert "Relevé semestre un" in pages[dossier_pages]
    assert "Relevé semestre deux" in pages[dossier_pages + 1]
    assert "Pièce d'identité" in pages[dossier_pages + 2]
    assert "Relevé de notes" in pages[dossier_pages + 3]


def test_image_piece_fits_one_a4_page(dossier):
    pages = PdfReader(io.BytesIO(dossier_pdf(dossier))).pages
    width, height = float(pages[-1].mediabox.width), float(pages[-1].mediabox.height)
    assert (round(width), round(height)) == (595, 842)
    assert pages[-1].images, "the JPEG is drawn on the page"


def test_missing_or_corrupt_piece_gives_a_notice_page(dossier, caplog):
    lettre, notes = (PieceCandidat.select()
                     .where(PieceCandidat.fichier.is_null(False),
                            PieceCandidat.candidature == dossier.id)
                     .order_by(PieceCandidat.id))[:2]
    with open(storage.stored_path(lettre.fichier), "wb") as handle:
        handle.write(b"%PDF-1.4\nnot really a PDF")
    os.remove(storage.stored_path(notes.fichier))
    dossier_pages = len(page_texts(dossier_summary_pdf(dossier)))

    with caplog.at_level(logging.WARNING, logger="ecandidat.pdf"):
        pages = page_texts(dossier_pdf(dossier))

    assert len(pages) == dossier_pages + 1 + 1 + 1
    assert "Lettre de motivation" in pages[dossier_pages]
    assert "illisible ou introuvable" in pages[dossier_pages]
    assert "Pièce : Pièce d'identité" in pages[dossier_pages + 1]
    assert "Relevé de notes" in pages[dossier_pages + 2]
    assert "illisible ou introuvable" in pages[dossier_pages + 2]
    assert len([r for r in caplog.records if r.name == "ecandidat.pdf"]) == 2


def test_paper_formation_starts_with_the_mailing_cover_sheet(app, make_compte):
    compte, _ = make_compte()
    candidat = full_candidat(compte)
    formation = open_formation(code="DROIT", demat=False)
    formation.commission.commentaire_retour = "Joindre une enveloppe timbrée.\nNe pas agrafer."
    formation.commission.save()
    candidature = Candidature.create(candidat=candidat, formation=formation)

    pages = page_texts(dossier_pdf(candidature))

    cover = pages[0]
    for expected in ("Dossier à envoyer à :", "Commission DROIT", "2 rue Jean Carbonnier",
                     "86000 Poitiers", "Joindre une enveloppe timbrée.", "Ne pas agrafer.",
                     compte.numero_dossier):
        assert expected in cover, expected
    assert "Dossier papier" in "\n".join(pages[1:])


def test_url_fetcher_serves_static_and_granted_files_only(app, tmp_path):
    granted = tmp_path / "signature.png"
    granted.write_bytes(image_bytes("PNG", (10, 10)))
    fetcher = LocalURLFetcher(app.static_folder, granted=[str(granted)])

    css = fetcher.fetch(path2url(os.path.join(app.static_folder, "css", "ecandidat.css")))
    assert css.read()
    assert fetcher.fetch(path2url(str(granted))).read().startswith(b"\x89PNG")
    assert fetcher.fetch("data:text/plain,bonjour").read() == b"bonjour"
    for url in ("http://example.org/logo.png", "https://127.0.0.1/", "ftp://example.org/x",
                "file:///etc/passwd", "file://evil.example.org/etc/passwd",
                path2url(app.static_folder) + "../app.py",
                path2url(str(tmp_path / "other.png"))):
        with pytest.raises(PermissionError):
            fetcher.fetch(url)


def test_refused_resources_are_left_out_of_the_rendering(app, caplog):
    html = weasyprint.HTML(string='<img src="file:///etc/passwd"><img src="http://example.org/x">',
                           url_fetcher=LocalURLFetcher(app.static_folder))
    with caplog.at_level(logging.WARNING):
        assert html.write_pdf().startswith(b"%PDF")
    assert "URL refusée" in caplog.text

"""Test data builders: an open formation with its pieces, a candidate whose file is complete."""
import datetime
import io

from PIL import Image
from pypdf import PdfWriter

from ecandidat import clock
from ecandidat.models import (Adresse, BacSerie, Candidat, CandidatBac, Centre, Commission,
                              Formation, Pays, PieceJustificative, Question, TypeDiplome)


def open_formation(code="M1AES", demat=True, type_traitement="AC", today=None, centre=None,
                   **fields):
    """A formation open today, its commission (alerts on) and its centre."""
    today = today or clock.today()
    centre = centre or Centre.get_or_none(Centre.code == "DSS") or Centre.create(
        code="DSS", libelle="UFR Droit et Sciences Sociales")
    commission = Commission.create(
        code=f"COM-{code}", libelle=f"Commission {code}", centre=centre,
        mail=f"com-{code.lower()}@example.org",
        adresse=Adresse.create(adresse1="2 rue Jean Carbonnier", code_postal="86000",
                               ville_etrangere="Poitiers"))
    type_diplome = TypeDiplome.get_or_none(TypeDiplome.code == "MASTER") or TypeDiplome.create(
        code="MASTER", libelle="MASTER")
    values = dict(code=code, libelle=f"Formation {code}", type_diplome=type_diplome,
                  commission=commission, type_traitement=type_traitement, demat=demat,
                  date_debut_depot=today - datetime.timedelta(days=10),
                  date_fin_depot=today + datetime.timedelta(days=20),
                  date_retour=today + datetime.timedelta(days=30))
    values.update(fields)
    return Formation.create(**values)


def pieces(formation):
    """A piece for this formation only, a shared one for every formation, a conditional one."""
    return {
        "lettre": PieceJustificative.create(code=f"LM-{formation.code}",
                                            libelle="Lettre de motivation", formation=formation,
                                            ordre=1),
        "identite": PieceJustificative.get_or_none(PieceJustificative.code == "ID")
        or PieceJustificative.create(code="ID", libelle="Pièce d'identité", partagee=True,
                                     ordre=2),
        "handicap": PieceJustificative.get_or_none(PieceJustificative.code == "HANDI")
        or PieceJustificative.create(code="HANDI", partagee=True, conditionnelle=True, ordre=3,
                                     libelle="Demande d'aménagement au titre du handicap"),
    }


def question(formation, obligatoire=True, kind="B"):
    return Question.create(code=f"Q-{formation.code}-{kind}", libelle="En alternance ?",
                           type=kind, formation=formation, obligatoire=obligatoire,
                           choix="Mai\nJuin" if kind == "C" else None)


def complete_candidat(compte):
    """A Candidat whose infos perso, adresse and bac are filled (a foreign national:
    no INE needed)."""
    espagne = Pays.get_or_none(Pays.code == "134") or Pays.create(
        code="134", iso2="ES", libelle="Espagne", nationalite="Espagne")
    serie = BacSerie.get_or_none(BacSerie.code == "ETR") or BacSerie.create(
        code="ETR", libelle="Titre étranger admis en équivalence", premiere_annee=1950)
    adresse = Adresse.create(pays=espagne, ville_etrangere="Madrid", adresse1="Calle Mayor 1")
    candidat = Candidat.get_or_none(Candidat.compte == compte) or Candidat(compte=compte)
    candidat.nom_patronymique, candidat.prenom = compte.nom, compte.prenom
    candidat.civilite, candidat.date_naissance = "Mme", datetime.date(2001, 4, 2)
    candidat.pays_naissance, candidat.ville_naissance = espagne, "Madrid"
    candidat.nationalite, candidat.adresse = espagne, adresse
    candidat.save()
    CandidatBac.create(candidat=candidat, annee_obtention=2019, serie=serie, pays=espagne)
    return candidat


def _one_page_pdf():
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _small_png():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(buffer, "PNG")
    return buffer.getvalue()


# Real files (readable by pypdf and Pillow), so that the dossier PDF can merge them.
PDF_BYTES = _one_page_pdf()
PNG_BYTES = _small_png()

"""Demo data: an active campaign and the training offer of the candidate guide.

Every object is looked up by its code first, so running it again changes nothing."""
import datetime
from dataclasses import dataclass, field

from ecandidat import clock
from ecandidat.db import database
from ecandidat.models import (Adresse, Campagne, Centre, Commission, Commune, Formation,
                              PieceJustificative, Question, TypeDiplome, User)
from ecandidat.users import create_user

TYPES_DIPLOME = (("LICENCE", "Licence", 1), ("MASTER", "MASTER", 2),
                 ("NON_DIPL", "Non diplômant", 9))

CENTRES = (
    ("DSS", "UFR Droit et Sciences Sociales Poitiers Campus", "droit.candidature@example.org"),
    ("MEDPHA", "UFR Médecine-Pharmacie", "medecine.candidature@example.org"),
    ("SHA", "UFR Sciences Humaines et Arts", "sha.candidature@example.org"),
)

# code, libellé, centre, adresse, signataire
COMMISSIONS = (
    ("COM-AES", "Commission Master AES", "DSS",
     "Faculté de Droit et des Sciences Sociales, 2 rue Jean Carbonnier, Bât. A1", "La présidente du jury"),
    ("COM-DM", "Commission Master Droit et Marketing", "DSS",
     "Faculté de Droit et des Sciences Sociales, 2 rue Jean Carbonnier, Bât. A1", "Le président du jury"),
    ("COM-ORTHO", "Commission concours orthophonie", "MEDPHA",
     "Centre de formation en orthophonie, 6 rue de la Milétrie, Bât. D1", "La directrice des études"),
    ("COM-SHA", "Commission Sciences Humaines et Arts", "SHA",
     "UFR Sciences Humaines et Arts, 8 rue René Descartes, Bât. A5", "Le directeur de l'UFR"),
)

# code, libellé, type de diplôme, commission, mots clés, type de traitement, dématérialisé, capacité
FORMATIONS = (
    ("M1AES", "M1 Administration Economique et Sociale", "MASTER", "COM-AES", "AES", "AC", True, 60),
    ("M2DM", "M2 Droit et Marketing", "MASTER", "COM-DM", "droit, marketing", "AC", True, 25),
    ("ORTHO", "concours entrée école d'orthophonie", "NON_DIPL", "COM-ORTHO",
     "orthophonie, concours", "AC", False, 40),
    ("L3HA", "L3 Histoire de l'art et archéologie", "LICENCE", "COM-SHA",
     "histoire de l'art, archéologie", "AD", True, 80),
    ("M1PSY", "M1 Psychologie", "MASTER", "COM-SHA", "psychologie", "AC", True, 50),
    ("M1MEEF", "M1 Métiers de l'enseignement — Histoire-Géographie", "MASTER", "COM-SHA",
     "MEEF, enseignement, histoire, géographie", "AC", True, 35),
)

# code, libellé, conditionnelle, partagée, ordre
PIECES = (
    ("LM", "Lettre de motivation", False, False, 1),
    ("CV", "Curriculum Vitae", False, True, 2),
    ("ID", "Pièce d'identité", False, True, 3),
    ("RNBAC", "Relevé de notes du Baccalauréat", False, True, 4),
    ("HANDI", "Demande d'aménagement au titre du handicap", True, True, 5),
    # The guide's free slots: conditional, so "Non concerné par cette pièce" when unused.
    ("AUTRE1", "Autre document jugé utile par le candidat n°1", True, False, 91),
    ("AUTRE2", "Autre document jugé utile par le candidat n°2", True, False, 92),
    ("AUTRE3", "Autre document jugé utile par le candidat n°3", True, False, 93),
)

QUESTIONS = (
    ("ALTERNANCE", "Souhaitez-vous suivre cette formation en alternance ?", "B", None, "M1AES"),
    ("PROJET", "Décrivez votre projet professionnel en quelques lignes.", "S", None, "M2DM"),
    ("SESSION", "Quelle session d'épreuves choisissez-vous ?", "C", "Session de mai\nSession de juin",
     "ORTHO"),
)

DEMO_USERS = (
    ("admin@example.org", "admin", None, "Scolarité", "Centrale"),
    ("gestionnaire@example.org", "gestionnaire", "DSS", "Gestion", "Droit"),
    ("commission@example.org", "commission", "COM-AES", "Membre", "AES"),
)


@dataclass
class DemoReport:
    campagne: str = ""
    formations: int = 0
    accounts: list = field(default_factory=list)  # (email, role, password or None)


def formation_dates(today):
    """Dates so that applications are open today and every later date follows."""
    debut = today - datetime.timedelta(days=15)
    fin = today + datetime.timedelta(days=45)
    retour = fin + datetime.timedelta(days=10)
    jury = retour + datetime.timedelta(days=15)
    publication = jury + datetime.timedelta(days=5)
    return {"date_debut_depot": debut, "date_fin_depot": fin,
            "date_preanalyse": fin + datetime.timedelta(days=5), "date_retour": retour,
            "date_jury": jury, "date_publication": publication,
            "date_confirmation": publication + datetime.timedelta(days=10)}


def create_demo(today=None):
    today = today or clock.today()
    report = DemoReport()
    with database.atomic():
        campagne = _campagne(today)
        report.campagne = campagne.libelle
        types = {code: TypeDiplome.get_or_create(code=code, defaults={
            "libelle": libelle, "ordre": ordre})[0] for code, libelle, ordre in TYPES_DIPLOME}
        centres = {code: Centre.get_or_create(code=code, defaults={
            "libelle": libelle, "mail_contact": mail, "nb_max_voeux": 5})[0]
            for code, libelle, mail in CENTRES}
        commissions = {code: _commission(code, libelle, centres[centre], adresse, signataire)
                       for code, libelle, centre, adresse, signataire in COMMISSIONS}
        formations = {}
        for code, libelle, type_code, com, mots, traitement, demat, capacite in FORMATIONS:
            formations[code] = Formation.get_or_none(Formation.code == code) or Formation.create(
                code=code, libelle=libelle, type_diplome=types[type_code],
                commission=commissions[com], mots_cles=mots, type_traitement=traitement,
                demat=demat, capacite=capacite, liste_complementaire=True,
                **formation_dates(today))
        report.formations = len(formations)
        for code, libelle, conditionnelle, partagee, ordre in PIECES:
            PieceJustificative.get_or_create(code=code, defaults={
                "libelle": libelle, "conditionnelle": conditionnelle,
                "partagee": partagee, "ordre": ordre})
        for code, libelle, kind, choix, formation in QUESTIONS:
            Question.get_or_create(code=code, defaults={
                "libelle": libelle, "type": kind, "choix": choix,
                "formation": formations[formation]})
        for email, role, scope, nom, prenom in DEMO_USERS:
            if User.select().where(User.email == email).exists():
                report.accounts.append((email, role, None))
            else:
                _, password = create_user(email=email, role=role, scope=scope,
                                          nom=nom, prenom=prenom)
                report.accounts.append((email, role, password))
    return report


def _campagne(today):
    active = Campagne.active(today)
    if active:
        return active
    year = today.year if today.month >= 9 else today.year - 1
    code = f"CAMP{year}"
    campagne = Campagne.get_or_none(Campagne.code == code)
    if campagne is None:
        return Campagne.create(
            code=code, libelle=f"Campagne {year}-{year + 1}",
            date_debut=today - datetime.timedelta(days=30),
            date_fin=today + datetime.timedelta(days=300),
            date_fin_candidat=today + datetime.timedelta(days=200))
    return campagne


def _commission(code, libelle, centre, adresse, signataire):
    commission = Commission.get_or_none(Commission.code == code)
    if commission:
        return commission
    poitiers = Commune.get_or_none(Commune.code_insee == "86194")
    address = Adresse.create(pays="100" if poitiers else None, code_postal="86000",
                             commune=poitiers, ville_etrangere=None if poitiers else "Poitiers",
                             adresse1=adresse, cedex="CEDEX")
    return Commission.create(code=code, libelle=libelle, centre=centre, adresse=address,
                             mail=f"{code.lower()}@example.org", telephone="05 49 45 30 00",
                             signataire=signataire,
                             commentaire_retour="Envoyez votre dossier complet par courrier "
                                                "à l'adresse de la commission.")

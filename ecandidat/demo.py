"""Demo data: an active campaign, the training offer of the candidate guide, one
console account per role, the decision settings (types de décision, motivations
d'avis, tags, statuts visible to commissions) and candidates whose candidatures
are in several states, so that each console account has work on first start.

Every object is looked up by its code (a candidate by their address) first, so
running it again changes nothing. Candidatures go through ecandidat.workflow (the
candidate's actions, then a demo administrator's console actions): their audit
rows and mails are those of real use. The mails stay in the outbox (a command
sends no mail; `flask mail send` would, to example.org addresses).

After the decision (issue 9): in "M1 Administration Economique et Sociale", DURAND
Nathan has a validated Favorable avis to confirm or withdraw, DUBOIS Manon and
LAMBERT Sarah are on the liste complémentaire (rangs 1 and 2): a désistement
promotes Manon."""
import contextlib
import datetime
import io
import itertools
import os
import random
import secrets
import shutil
import time
from dataclasses import dataclass, field

from peewee import IntegrityError, SqliteDatabase, fn
from pypdf import PdfWriter

from ecandidat import clock, workflow
from ecandidat.db import database, write_transaction
from ecandidat.models import (Adresse, AuditLog, Avis, BacSerie, Campagne, Candidat, CandidatBac, Candidature,
                              Centre, Commission, Commune, CompteCandidat, Departement, Formation,
                              MotivationAvis, OutboxMail, Pays, PieceCandidat,
                              PieceJustificative, Question,
                              StatutDossierParam, Tag, TypeDecision, TypeDiplome, User)
from ecandidat.models.accounts import new_numero_dossier
from ecandidat.security import generate_password, hash_password
from ecandidat.storage import upload_folder
from ecandidat.users import create_user
from ecandidat.workflow import commission as console, decision

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


# code, libellé, type d'avis (codes.TYPE_AVIS); the last one is the favourable
# decision of a formation's liste complémentaire (Formation.type_decision_fav_lc).
TYPES_DECISION = (
    ("FAV", "Favorable", "FA"),
    ("DEF", "Défavorable", "DE"),
    ("LC", "Liste complémentaire", "LC"),
    ("LA", "Liste d'attente", "LA"),
    ("PRESEL", "Présélection", "PR"),
    ("FAV_LC", "Favorable (liste complémentaire)", "FA"),
)

MOTIVATIONS = (
    ("NIVEAU", "Niveau insuffisant dans les matières fondamentales"),
    ("PROJET", "Projet professionnel sans lien avec la formation"),
    ("CAPACITE", "Capacité d'accueil atteinte"),
    ("PREREQUIS", "Prérequis de la formation non acquis"),
)

# libellé, couleur, centre (None: every centre)
TAGS = (
    ("Dossier prioritaire", "#1f5fa8", None),
    ("À contacter", "#a3195b", "DSS"),
)

# Statuts du dossier commissions see: not "En attente" (a file not sent is no candidature).
STATUTS_COMMISSION = (("AT", False), ("RE", True), ("CO", True), ("IN", True))

# email, civilité, nom, prénom, date de naissance, formation, state (see _STATES)
CANDIDATS = (
    ("lea.moreau@example.org", "Mme", "MOREAU", "Léa", (2002, 3, 14), "M1AES", "brouillon"),
    ("hugo.bernard@example.org", "M.", "BERNARD", "Hugo", (2001, 7, 2), "M1AES", "transmise"),
    ("chloe.petit@example.org", "Mme", "PETIT", "Chloé", (2000, 11, 23), "M1AES", "complet"),
    ("lucas.robert@example.org", "M.", "ROBERT", "Lucas", (2002, 1, 5), "M1AES", "incomplet"),
    ("emma.richard@example.org", "Mme", "RICHARD", "Emma", (2001, 5, 30), "M1AES",
     "avis_saisi"),
    ("nathan.durand@example.org", "M.", "DURAND", "Nathan", (2000, 9, 12), "M1AES",
     "favorable"),
    ("manon.dubois@example.org", "Mme", "DUBOIS", "Manon", (2001, 2, 17), "M1AES",
     "liste_complementaire"),
    ("sarah.lambert@example.org", "Mme", "LAMBERT", "Sarah", (2001, 8, 21), "M1AES",
     "liste_complementaire_2"),
    ("louis.lefebvre@example.org", "M.", "LEFEBVRE", "Louis", (1999, 12, 1), "M1AES",
     "defavorable"),
    ("camille.leroy@example.org", "Mme", "LEROY", "Camille", (2000, 4, 8), "M2DM", "transmise"),
    ("jules.roux@example.org", "M.", "ROUX", "Jules", (2001, 10, 19), "M2DM", "brouillon"),
    ("ines.fournier@example.org", "Mme", "FOURNIER", "Inès", (2002, 6, 25), "M1PSY",
     "transmise"),
    ("theo.girard@example.org", "M.", "GIRARD", "Théo", (2003, 8, 3), "L3HA", "acces_direct"),
)
ANSWERS = {"ALTERNANCE": "oui",
           "PROJET": "Travailler dans le marketing juridique d'une entreprise de services.",
           "SESSION": "Session de mai"}


@dataclass
class DemoReport:
    campagne: str = ""
    formations: int = 0
    accounts: list = field(default_factory=list)  # (email, role, password or None)
    candidats: int = 0            # demo candidates created by this run
    candidats_password: str = None  # their common password (None: none created)


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
        _decision_settings(formations.values())
        _candidatures(report, formations, today)
        _rangs_reels(formations.values(), campagne)
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


# --- Decision settings ------------------------------------------------------------------

def _decision_settings(formations):
    """Types de décision (each formation's favourable decisions set once), motivations
    d'avis, tags and the statuts commissions see."""
    decisions = {code: TypeDecision.get_or_create(code=code, defaults={
        "libelle": libelle, "type_avis": type_avis})[0]
        for code, libelle, type_avis in TYPES_DECISION}
    for formation in formations:
        for name, code in (("type_decision_fav", "FAV"), ("type_decision_fav_lc", "FAV_LC")):
            column = getattr(Formation, name)
            (Formation.update({column: decisions[code].id})
             .where(Formation.id == formation.id, column.is_null()).execute())
    for code, libelle in MOTIVATIONS:
        MotivationAvis.get_or_create(code=code, defaults={"libelle": libelle})
    for libelle, couleur, centre in TAGS:
        centre_id = Centre.get(Centre.code == centre).id if centre else None
        if not Tag.select().where(Tag.libelle == libelle).exists():
            Tag.create(libelle=libelle, couleur=couleur, centre=centre_id)
    for code, visible in STATUTS_COMMISSION:
        StatutDossierParam.get_or_create(code=code, defaults={"visible_commission": visible})


# --- Candidates and their candidatures ----------------------------------------------------

def _candidatures(report, formations, today):
    """Each demo candidate not there yet: a validated account, a complete file, one
    candidatures brought to its state by the workflow."""
    missing = [row for row in CANDIDATS
               if not CompteCandidat.select().where(CompteCandidat.email == row[0]).exists()]
    if not missing:
        return
    admin = User.get(User.email == DEMO_USERS[0][0])
    actor = workflow.Actor.user(admin)
    report.candidats_password = generate_password()
    password_hash = hash_password(report.candidats_password)
    places = _places()
    for email, civilite, nom, prenom, naissance, formation, state in missing:
        candidat = _candidat(email, civilite, nom, prenom, datetime.date(*naissance),
                             password_hash, places)
        candidature = workflow.candidater(workflow.Actor.candidat(candidat), candidat,
                                          formations[formation], today=today)
        _STATES[state](actor, candidat, candidature, today)
        report.candidats += 1


def _rangs_reels(formations, campagne):
    """The rang réel of each liste complémentaire (the candidate may be shown it:
    LC_RANG_AFFICHAGE), as a désistement would recompute it; unchanged ranks are
    not written again."""
    for formation in formations:
        if formation.liste_complementaire:
            with write_transaction():
                decision.lock_formation(formation.id)
                decision.recompute_rangs(formation.id, campagne.id)


def _places():
    """France, Poitiers and the bac général: the shipped referential's rows, created
    with the same values when `flask referential load` has not run yet."""
    france = Pays.get_or_none(Pays.code == "100") or Pays.create(
        code="100", iso2="FR", libelle="France", nationalite="Française")
    vienne = Departement.get_or_none(Departement.code == "86") or Departement.create(
        code="86", libelle="Vienne", region="75")
    poitiers = Commune.get_or_none(Commune.code_insee == "86194") or Commune.create(
        code_insee="86194", libelle="Poitiers", departement=vienne)
    bac = BacSerie.get_or_none(BacSerie.code == "G") or BacSerie.create(
        code="G", libelle="Baccalauréat général", premiere_annee=2021, specialites=True)
    return france, vienne, poitiers, bac


def _candidat(email, civilite, nom, prenom, naissance, password_hash, places):
    """A validated account and a complete file (infos perso with INE, adresse, bac)."""
    france, vienne, poitiers, bac = places
    compte = CompteCandidat.create(numero_dossier=_numero(), nom=nom, prenom=prenom,
                                   email=email, password_hash=password_hash, valide=True)
    adresse = Adresse.create(pays=france.code, code_postal="86000", commune=poitiers.code_insee,
                             adresse1=f"{10 + len(nom)} rue de la Demi-Lune")
    candidat = Candidat.create(
        compte=compte, civilite=civilite, nom_patronymique=nom, prenom=prenom,
        date_naissance=naissance, pays_naissance=france.code, departement_naissance=vienne.code,
        commune_naissance=poitiers.code_insee, nationalite=france.code,
        ine=f"{compte.id:09d}D", cle_ine="X", telephone_portable="06 00 00 00 00",
        adresse=adresse)
    CandidatBac.create(candidat=candidat, annee_obtention=max(naissance.year + 18, 2021),
                       serie=bac.code, pays=france.code, departement=vienne.code,
                       commune=poitiers.code_insee)
    return candidat


def _numero():
    while True:
        numero = new_numero_dossier()
        if not CompteCandidat.select().where(CompteCandidat.numero_dossier == numero).exists():
            return numero


def _pdf(title):
    """A one-page PDF standing for an uploaded piece."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _fill(candidat, candidature, today):
    """The candidate provides every piece (a file, or "non concerné" for the
    conditional ones) and answers the questions."""
    me = workflow.Actor.candidat(candidat)
    for piece, _row in workflow.piece_rows(candidature):
        if piece.conditionnelle:
            workflow.declarer_non_concerne(me, candidature, piece, today=today)
        else:
            name = f"{piece.code.lower()}-{candidat.nom_patronymique.lower()}.pdf"
            workflow.deposer_piece(me, candidature, piece, _pdf(piece.libelle), name,
                                   today=today)
    for question, _answer in workflow.question_rows(candidature):
        workflow.repondre(me, candidature, question, ANSWERS.get(question.code, "oui"),
                          today=today)


def _transmise(actor, candidat, candidature, today):
    _fill(candidat, candidature, today)
    workflow.transmettre(workflow.Actor.candidat(candidat), candidature, today=today)
    return Candidature.get_by_id(candidature.id)


def _pieces(actor, candidature, statut, today, commentaire=None, codes=None):
    for piece, row in workflow.piece_rows(candidature):
        if row is not None and row.statut == "TR" and (codes is None or piece.code in codes):
            console.changer_statut_piece(actor, candidature, piece.id, statut,
                                         commentaire=commentaire, today=today)


def _complet(actor, candidat, candidature, today):
    candidature = _transmise(actor, candidat, candidature, today)
    _pieces(actor, candidature, "VA", today)
    console.changer_statut(actor, [candidature], "CO", today=today)
    return Candidature.get_by_id(candidature.id)


def _incomplet(actor, candidat, candidature, today):
    candidature = _transmise(actor, candidat, candidature, today)
    _pieces(actor, candidature, "VA", today, codes=("CV", "ID"))
    _pieces(actor, candidature, "RE", today, codes=("LM",),
            commentaire="La lettre de motivation n'est pas signée : déposez-la signée.")
    console.changer_statut(actor, [candidature], "IN", today=today)
    console.changer_tags(actor, [candidature], [_tag("À contacter")], today=today)


def _avis(type_avis, valider, motivation=None, **fields):
    """Complet, then an avis entered (and validated when `valider`: published, mailed)."""
    def state(actor, candidat, candidature, today):
        candidature = _complet(actor, candidat, candidature, today)
        motivation_id = _motivation(motivation) if motivation else None
        console.saisir_avis(actor, [candidature], type_avis, motivation_id=motivation_id,
                            today=today, **fields)
        if valider:
            console.valider_avis(actor, [candidature], today=today)
        return candidature
    return state


def _favorable(actor, candidat, candidature, today):
    candidature = _avis("FA", True)(actor, candidat, candidature, today)
    console.changer_tags(actor, [candidature], [_tag("Dossier prioritaire")], today=today)
    console.changer_bloc_notes(actor, candidature, "Excellent dossier, stage à l'étranger.",
                               today=today)


def _acces_direct(actor, candidat, candidature, today):
    """Accès direct: the type de traitement validated gives a favourable avis at once."""
    candidature = _transmise(actor, candidat, candidature, today)
    console.changer_type_traitement(actor, [candidature], "AD", today=today)
    console.valider_type_traitement(actor, [Candidature.get_by_id(candidature.id)], today=today)


def _tag(libelle):
    return Tag.get(Tag.libelle == libelle).id


def _motivation(code):
    return MotivationAvis.get(MotivationAvis.code == code).id


_STATES = {
    "brouillon": lambda actor, candidat, candidature, today: _fill(candidat, candidature, today),
    "transmise": _transmise,
    "complet": _complet,
    "incomplet": _incomplet,
    "avis_saisi": _avis("FA", False, commentaire="Bon dossier, à confirmer en jury."),
    "favorable": _favorable,
    "liste_complementaire": _avis("LC", True, rang=1),
    "liste_complementaire_2": _avis("LC", True, rang=2),
    "defavorable": _avis("DE", True, motivation="PREREQUIS",
                         commentaire="Les prérequis en économie ne sont pas acquis."),
    "acces_direct": _acces_direct,
}


# --- Volume (`flask demo --candidates N`, `make bench`) -------------------------------------
#
# A deadline peak's worth of rows, written in bulk (insert_many, explicit ids, one
# transaction per batch) instead of through the workflow, which would take hours for
# 100,000 candidatures. The rows are those the workflow would leave: each candidature
# has its audit rows ("candidater", "deposer_piece", "transmettre") and its mails (sent),
# a transmitted one its own copies of the shared pieces (workflow.content), its pieces
# point at files present in the upload folder (hard links of one small PDF: real
# names, no disk space), the liste complémentaire ranks of a formation are 1, 2, 3…

VOLUME_CENTRES = 20
VOLUME_COMMISSIONS_PER_CENTRE = 5
VOLUME_FORMATIONS_PER_COMMISSION = 5  # 20 × 5 × 5 = 500 formations, with the demo's: 506
VOLUME_PREFIX = "VOL"
VOLUME_DOMAIN = "volume.example.org"
VOLUME_BATCH = 2_000  # candidates per transaction
# Share of candidatures per state; a draft lacks only its lettre de motivation.
VOLUME_STATES = (("brouillon", 15), ("annulee", 3), ("transmise", 30), ("complet", 22),
                 ("incomplet", 8), ("favorable", 8), ("defavorable", 7),
                 ("liste_complementaire", 4), ("liste_attente", 3))
VOLUME_NOMS = ("MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS",
               "MOREAU", "LAURENT", "SIMON", "MICHEL", "LEFEBVRE", "LEROY", "ROUX", "DAVID",
               "BERTRAND", "MOREL", "FOURNIER", "GIRARD", "BONNET", "DUPONT", "LAMBERT",
               "FONTAINE", "ROUSSEAU", "VINCENT", "MULLER", "LEFEVRE", "FAURE", "ANDRE")
VOLUME_PRENOMS = ("Léa", "Hugo", "Chloé", "Lucas", "Emma", "Nathan", "Manon", "Louis", "Inès",
                  "Jules", "Camille", "Théo", "Sarah", "Arthur", "Jade", "Gabriel", "Louise",
                  "Raphaël", "Alice", "Adam", "Lina", "Paul", "Zoé", "Maël", "Rose")
_ROWS_PER_EXECUTEMANY = 5_000
_LINKS_PER_FILE = 60_000


class VolumeExists(Exception):
    """`create_volume` ran on this database already: nothing is added."""


@dataclass
class VolumeReport:
    formations: int = 0
    candidats: int = 0
    candidatures: int = 0
    fichiers: int = 0
    password: str = None
    seconds: float = 0.0
    by_state: dict = field(default_factory=dict)


def volume_candidatures():
    """The candidatures `create_volume` wrote (0 when it has not run)."""
    return (Candidature.select().join(Candidat).join(CompteCandidat)
            .where(CompteCandidat.email.endswith("@" + VOLUME_DOMAIN)).count())


def create_volume(count, today=None, seed=11, progress=None):
    """`count` candidatures of ~count/2 candidates (1 to 3 each, never twice the same
    formation) over 500 more formations in 20 more centres, in the states of
    VOLUME_STATES, on top of `create_demo` (run first). Every volume candidate has the
    same password, returned in the report. Refuses (VolumeExists) a second run.

    `progress(done, total)` is called after each batch."""
    started = time.perf_counter()
    today = today or clock.today()
    if Centre.select().where(Centre.code == f"{VOLUME_PREFIX}01").exists():
        raise VolumeExists(volume_candidatures())
    campagne = Campagne.active(today)
    if campagne is None or not User.select().where(User.email == DEMO_USERS[0][0]).exists():
        raise LookupError("create_demo() first")
    rng = random.Random(seed)
    report = VolumeReport(password=generate_password())
    password_hash = hash_password(report.password)
    france, vienne, poitiers, bac = _places()
    pieces = {p.code: p for p in PieceJustificative.select().where(
        PieceJustificative.code.in_([code for code, *_ in PIECES]))}
    decisions = {t.code: t.id for t in TypeDecision.select()}
    motivations = [m.id for m in MotivationAvis.select()]
    admin = User.get(User.email == DEMO_USERS[0][0])
    try:
        with database.atomic():
            formations = _volume_offer(today, decisions)
    except IntegrityError:
        # Another run got there between the check above and these inserts (unique codes).
        raise VolumeExists(volume_candidatures()) from None
    report.formations = len(formations)
    lc_rangs = {f: 0 for f in formations}

    folder = upload_folder()
    original = os.path.join(folder, f".volume-{os.getpid()}.part")
    with open(original, "wb") as handle:
        handle.write(_pdf("Pièce (volume)"))
    size = os.path.getsize(original)
    links = 0
    next_ids = {model: (model.select(fn.MAX(model.id)).scalar() or 0) + 1
                for model in (CompteCandidat, Adresse, Candidat, CandidatBac, Candidature,
                              PieceCandidat, Avis, AuditLog, OutboxMail)}
    states = [name for name, weight in VOLUME_STATES for _ in range(weight)]
    # Some formations draw far more candidates than others (Zipf-like).
    rng.shuffle(formations)
    popularity = list(itertools.accumulate(1 / rank ** 0.8
                                           for rank in range(1, len(formations) + 1)))
    created_files = []
    try:
        numero = 0
        while report.candidatures < count:
            rows = {model: [] for model in next_ids}
            files = []

            def add(model, **values):
                values["id"] = next_ids[model]
                next_ids[model] += 1
                rows[model].append(values)
                return values["id"]

            def audit(actor, action, table, record_id, when):
                add(AuditLog, actor=actor, action=action, table=table, record_id=record_id,
                    created_at=when, before=None, after=None)

            def stored(nom_original):
                name = f"{secrets.token_hex(16)}.pdf"
                files.append(name)
                return dict(fichier=name, nom_original=nom_original,
                            type_mime="application/pdf", taille=size)

            for _ in range(VOLUME_BATCH):
                if report.candidatures >= count:
                    break
                numero += 1
                nom, prenom = rng.choice(VOLUME_NOMS), rng.choice(VOLUME_PRENOMS)
                email = f"candidat{numero}@{VOLUME_DOMAIN}"
                # A week or more ago: every later date of the candidature is in the past.
                created = clock.now() - datetime.timedelta(
                    minutes=rng.randint(7 * 24 * 60, 21 * 24 * 60))
                compte = add(CompteCandidat, numero_dossier=f"V{numero:07d}", nom=nom,
                             prenom=prenom, email=email, password_hash=password_hash,
                             valide=True, created_at=created)
                actor = f"candidat:V{numero:07d}"
                adresse = add(Adresse, pays=france.code, code_postal="86000",
                              commune=poitiers.code_insee,
                              adresse1=f"{rng.randint(1, 120)} rue de la Demi-Lune")
                candidat = add(Candidat, compte=compte, civilite=rng.choice(("M.", "Mme")),
                               nom_patronymique=nom, prenom=prenom,
                               date_naissance=datetime.date(rng.randint(1995, 2005),
                                                            rng.randint(1, 12), rng.randint(1, 28)),
                               pays_naissance=france.code, departement_naissance=vienne.code,
                               commune_naissance=poitiers.code_insee, nationalite=france.code,
                               ine=f"{numero:09d}V", cle_ine="X",
                               telephone_portable="06 00 00 00 00", adresse=adresse,
                               updated_at=created)
                add(CandidatBac, candidat=candidat, annee_obtention=rng.randint(2015, 2024),
                    serie=bac.code, pays=france.code, departement=vienne.code,
                    commune=poitiers.code_insee)
                report.candidats += 1
                # The shared pieces: one row each for the candidate (candidature NULL).
                shared = {}
                for code in ("CV", "ID", "RNBAC"):
                    values = dict(stored(f"{code.lower()}.pdf"), statut="TR")
                    shared[code] = values
                    row = add(PieceCandidat, candidat=candidat, candidature=None,
                              piece=pieces[code].id, updated_at=created, **values)
                    audit(actor, "deposer_piece", "piece_candidat", row, created)
                shared["HANDI"] = dict(statut="NC")
                add(PieceCandidat, candidat=candidat, candidature=None,
                    piece=pieces["HANDI"].id, updated_at=created, **shared["HANDI"])
                wanted = min(count - report.candidatures, rng.choice((1, 1, 2, 2, 2, 3, 3)))
                for formation in _popular(rng, formations, popularity, wanted):
                    state = rng.choice(states)
                    report.by_state[state] = report.by_state.get(state, 0) + 1
                    report.candidatures += 1
                    _volume_candidature(add, audit, stored, state, rng, dict(
                        candidat=candidat, formation=formation, campagne=campagne.id,
                        email=email, actor=actor, created=created, pieces=pieces,
                        shared=shared, lc_rangs=lc_rangs, decisions=decisions,
                        motivations=motivations, admin=admin))
            created_files.extend(files)
            for name in files:
                if links == _LINKS_PER_FILE:
                    # ext4 allows 65,000 names per file: the next ones link to a copy.
                    shutil.copyfile(original, original + ".next")
                    os.replace(original + ".next", original)
                    links = 0
                os.link(original, os.path.join(folder, name))
                links += 1
            with database.atomic():
                for model, model_rows in rows.items():
                    _bulk(model, model_rows)
            created_files.clear()  # committed: referenced from now on
            report.fichiers += len(files)
            if progress:
                progress(report.candidatures, count)
        _advance_sequences(next_ids)
        _analyze()
    except BaseException:
        for name in created_files:
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(folder, name))
        raise
    finally:
        os.remove(original)
    report.seconds = time.perf_counter() - started
    return report


def _popular(rng, formations, popularity, wanted):
    chosen = []
    while len(chosen) < wanted:
        formation = rng.choices(formations, cum_weights=popularity)[0]
        if formation not in chosen:
            chosen.append(formation)
    return chosen


def _volume_offer(today, decisions):
    """20 centres of 5 commissions of 5 formations, open today, with a liste complémentaire."""
    types = [t.id for t in TypeDiplome.select().order_by(TypeDiplome.ordre)]
    dates = formation_dates(today)
    formations = []
    for c in range(1, VOLUME_CENTRES + 1):
        centre = Centre.create(code=f"{VOLUME_PREFIX}{c:02d}", libelle=f"UFR n°{c} (volume)",
                               mail_contact=f"ufr{c}@{VOLUME_DOMAIN}", nb_max_voeux=5)
        for m in range(1, VOLUME_COMMISSIONS_PER_CENTRE + 1):
            commission = Commission.create(
                code=f"{VOLUME_PREFIX}{c:02d}-{m}", libelle=f"Commission {m} de l'UFR n°{c}",
                centre=centre, mail=f"commission{c}-{m}@{VOLUME_DOMAIN}",
                signataire="Le président du jury")
            rows = [dict(code=f"{VOLUME_PREFIX}{c:02d}{m}{f}",
                         libelle=f"Formation {f} de la commission {m}, UFR n°{c}",
                         type_diplome=types[(c + m + f) % len(types)], commission=commission.id,
                         mots_cles=f"volume, ufr {c}", type_traitement="AC", demat=True,
                         capacite=20 + 5 * f, liste_complementaire=True,
                         type_decision_fav=decisions.get("FAV"),
                         type_decision_fav_lc=decisions.get("FAV_LC"), **dates)
                    for f in range(1, VOLUME_FORMATIONS_PER_COMMISSION + 1)]
            Formation.insert_many(rows).execute()
    for formation in Formation.select(Formation.id).where(
            Formation.code.startswith(VOLUME_PREFIX)).order_by(Formation.id):
        formations.append(formation.id)
    return formations


def _volume_candidature(add, audit, stored, state, rng, c):
    """The rows of one candidature brought to `state`, as the workflow leaves them."""
    created = c["created"] + datetime.timedelta(minutes=rng.randint(1, 600))
    transmitted = created + datetime.timedelta(hours=rng.randint(1, 72))
    later = transmitted + datetime.timedelta(hours=rng.randint(1, 48))
    draft = state in ("brouillon", "annulee")
    statut = {"brouillon": "AT", "annulee": "AT", "transmise": "RE",
              "incomplet": "IN"}.get(state, "CO")
    candidature = add(
        Candidature, candidat=c["candidat"], formation=c["formation"], campagne=c["campagne"],
        statut=statut, type_traitement="AC", created_at=created,
        date_transmission=None if draft else transmitted,
        date_reception=None if draft else transmitted,
        date_complet=later if statut == "CO" else None,
        date_incomplet=later if statut == "IN" else None,
        date_modification_statut=None if draft else (later if statut in ("CO", "IN")
                                                     else transmitted),
        date_annulation=later if state == "annulee" else None,
        annulee_par=c["actor"] if state == "annulee" else None)
    audit(c["actor"], "candidater", "candidature", candidature, created)
    _volume_mail(add, c["email"], "CANDIDATURE", created)
    if state == "annulee":
        audit(c["actor"], "annuler", "candidature", candidature, later)
        _volume_mail(add, c["email"], "CANDIDATURE_ANNULATION", later)
    pieces, admin = c["pieces"], c["admin"]
    piece_statut = {"AT": "TR", "RE": "TR", "IN": "VA", "CO": "VA"}[statut]
    for code in ("AUTRE1", "AUTRE2", "AUTRE3"):
        add(PieceCandidat, candidat=c["candidat"], candidature=candidature,
            piece=pieces[code].id, statut="NC", updated_at=created)
    if draft:
        return
    lettre = dict(stored("lettre-de-motivation.pdf"),
                  statut="RE" if statut == "IN" else piece_statut,
                  commentaire="La lettre n'est pas signée." if statut == "IN" else None)
    row = add(PieceCandidat, candidat=c["candidat"], candidature=candidature,
              piece=pieces["LM"].id, updated_at=created, **lettre)
    audit(c["actor"], "deposer_piece", "piece_candidat", row, created)
    # The copies a transmission makes of the shared rows (workflow.content.freeze_shared_pieces).
    for code, values in c["shared"].items():
        copy = dict(values, statut=piece_statut) if values["statut"] == "TR" else values
        add(PieceCandidat, candidat=c["candidat"], candidature=candidature,
            piece=pieces[code].id, updated_at=transmitted, **copy)
    audit(c["actor"], "transmettre", "candidature", candidature, transmitted)
    _volume_mail(add, c["email"], "STATUT_RE", transmitted)
    if statut in ("CO", "IN"):
        audit(f"user:{admin.email}", "changer_statut", "candidature", candidature, later)
        _volume_mail(add, c["email"], f"STATUT_{statut}", later)
    avis = {"favorable": ("FA", "FAV", True), "defavorable": ("DE", "DEF", True),
            "liste_complementaire": ("LC", "LC", True),
            "liste_attente": ("LA", "LA", False)}.get(state)
    if avis:
        type_avis, decision, valide = avis
        rang = None
        if type_avis == "LC":
            c["lc_rangs"][c["formation"]] += 1
            rang = c["lc_rangs"][c["formation"]]
        decided = later + datetime.timedelta(days=1)
        avis_id = add(Avis, candidature=candidature, type_avis=type_avis,
                      type_decision=c["decisions"].get(decision),
                      motivation=rng.choice(c["motivations"]) if type_avis == "DE" else None,
                      rang=rang, rang_reel=rang, created_by=admin.id, created_at=decided,
                      valide=valide, valide_par=admin.id if valide else None,
                      valide_le=decided if valide else None)
        audit(f"user:{admin.email}", "saisir_avis", "avis", avis_id, decided)
        if valide:
            _volume_mail(add, c["email"], {"FA": "AVIS_FAVORABLE", "DE": "AVIS_DEFAVORABLE",
                                   "LC": "AVIS_LISTE_COMP"}[type_avis], decided)


def _volume_mail(add, to, code, when):
    """A mail of the outbox, sent when it was queued."""
    from ecandidat.models import OutboxMail
    add(OutboxMail, destinataire=to, sujet=f"[eCandidat] {code}", code=code,
        corps_texte="Message de démonstration (volume).", created_at=when, sent_at=when,
        attempts=1, next_attempt_at=when)


def _bulk(model, rows):
    """INSERT the rows (dicts keyed by field name; the fields' defaults fill the rest)
    with one prepared statement run over all of them: building the SQL of each row
    through peewee took three quarters of the time."""
    if not rows:
        return
    given = set().union(*rows)
    fields = [f for f in model._meta.sorted_fields if f.name in given or f.default is not None]
    sql = (f'INSERT INTO "{model._meta.table_name}" ('
           + ", ".join(f'"{f.column_name}"' for f in fields) + ") VALUES ("
           + ", ".join([database.obj.param] * len(fields)) + ")")
    params = []
    for row in rows:
        values = []
        for f in fields:
            value = row[f.name] if f.name in row else (
                f.default() if callable(f.default) else f.default)
            values.append(f.db_value(value))
        params.append(values)
    cursor = database.cursor()
    for start in range(0, len(params), _ROWS_PER_EXECUTEMANY):
        cursor.executemany(sql, params[start:start + _ROWS_PER_EXECUTEMANY])


def _analyze():
    """Give PostgreSQL's planner the statistics of the tables just filled, as any bulk
    load should: autovacuum gathers them only a while later (not at all on a loaded
    server), and meanwhile it plans for empty tables (`flask invariants` at 100,000
    candidatures: over 7 minutes in nested loops instead of 35 s)."""
    if isinstance(database.obj, SqliteDatabase):
        return
    database.execute_sql("ANALYZE")


def _advance_sequences(next_ids):
    """After rows inserted with explicit ids, PostgreSQL's sequences must not hand out
    those ids again (SQLite takes MAX(id) + 1 by itself)."""
    if isinstance(database.obj, SqliteDatabase):
        return
    for model in next_ids:
        table = model._meta.table_name
        database.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")

"""Candidatures with their pieces, avis history and answers.

Statuses are written by ecandidat.workflow only."""

from peewee import (BooleanField, CharField, DateField, ForeignKeyField,
                    IntegerField, SQL, TextField)

from ecandidat import clock
from ecandidat.db import BaseModel, UTCDateTimeField
from ecandidat.models.accounts import User
from ecandidat.models.candidate import Candidat
from ecandidat.models.catalog import (Campagne, Formation, MotivationAvis, PieceJustificative,
                                      Question, Tag, TypeDecision)


class Candidature(BaseModel):
    candidat = ForeignKeyField(Candidat, backref="candidatures", on_delete="CASCADE")
    formation = ForeignKeyField(Formation, backref="candidatures")
    campagne = ForeignKeyField(Campagne, null=True, backref="candidatures", index=True)
    statut = CharField(max_length=2, default="AT", index=True)  # codes.STATUT_DOSSIER
    type_traitement = CharField(max_length=2, default="AT", index=True)
    type_traitement_valide = BooleanField(default=False)
    created_at = UTCDateTimeField(default=clock.now, index=True)
    date_transmission = UTCDateTimeField(null=True)
    date_reception = UTCDateTimeField(null=True)
    date_complet = UTCDateTimeField(null=True)
    date_incomplet = UTCDateTimeField(null=True)
    date_modification_statut = UTCDateTimeField(null=True)
    date_annulation = UTCDateTimeField(null=True, index=True)
    annulee_par = CharField(null=True)
    confirmation = CharField(max_length=10, null=True, index=True)  # codes.CONFIRMATION
    date_confirmation = UTCDateTimeField(null=True)
    confirmation_par = CharField(null=True)
    date_retour_manuelle = DateField(null=True)
    date_confirmation_manuelle = DateField(null=True)
    relance_envoyee = BooleanField(default=False)  # the reminder before the confirmation deadline
    relance_transmission_envoyee = BooleanField(default=False)  # … before the date de retour
    motif_desistement = TextField(null=True)  # the reason a candidate gave, optional
    bloc_notes = TextField(null=True)
    # The dossier PDF once transmitted, built out of the request (ecandidat.dossiers): the
    # stored file's name, and the fingerprint of what it shows (stale when it differs).
    dossier_pdf = CharField(null=True)
    dossier_empreinte = CharField(max_length=64, null=True)

    class Meta:
        indexes = ((("candidat", "formation", "statut"), False),
                   # the commission lists: a formation's live candidatures in a statut
                   (("formation", "date_annulation", "statut"), False),
                   # the console list's default order, walked by SQLite (0007)
                   (("date_annulation", "date_transmission", "id"), False))


# A partial index cannot be expressed in Meta.indexes above.
Candidature.add_index(
    Candidature.index(Candidature.candidat, Candidature.formation, unique=True,
                      where=SQL("date_annulation IS NULL"))
    .safe(True))
# The console list's default order, the live candidatures walked page by page by
# PostgreSQL (0007; it does not walk the index above for an IS NULL, SQLite does).
Candidature.add_index(
    Candidature.index(Candidature.date_transmission, Candidature.id,
                      where=SQL("date_annulation IS NULL"))
    .safe(True))


class PieceCandidat(BaseModel):
    """A candidate's answer to a pièce justificative: a file or "non concerné".

    For a shared piece (PieceJustificative.partagee) candidature is NULL and the
    one row serves every candidature of the candidate, except those transmitted:
    each keeps its own copy of the row it was sent with (ecandidat.workflow.content)."""
    candidat = ForeignKeyField(Candidat, backref="pieces", on_delete="CASCADE")
    candidature = ForeignKeyField(Candidature, null=True, backref="pieces",
                                  on_delete="CASCADE")
    piece = ForeignKeyField(PieceJustificative, backref="fournies")
    statut = CharField(max_length=2, default="AT", index=True)  # codes.STATUT_PIECE
    fichier = CharField(null=True, index=True)  # random storage name
    nom_original = CharField(null=True)
    type_mime = CharField(max_length=50, null=True)
    taille = IntegerField(null=True)
    commentaire = TextField(null=True)
    updated_at = UTCDateTimeField(default=clock.now)
    statut_par = CharField(null=True)


# One answer per piece: per candidature for its own rows (a transmitted
# candidature's copies of shared pieces included), per candidate for shared rows.
PieceCandidat.add_index(
    PieceCandidat.index(PieceCandidat.candidature, PieceCandidat.piece, unique=True,
                        where=SQL("candidature_id IS NOT NULL"))
    .safe(True))
PieceCandidat.add_index(
    PieceCandidat.index(PieceCandidat.candidat, PieceCandidat.piece, unique=True,
                        where=SQL("candidature_id IS NULL"))
    .safe(True))


class Avis(BaseModel):
    """One row per decision entered: the history is append-only, the last counts."""
    candidature = ForeignKeyField(Candidature, backref="avis", on_delete="CASCADE")
    type_avis = CharField(max_length=2, index=True)  # codes.TYPE_AVIS
    type_decision = ForeignKeyField(TypeDecision, null=True)
    motivation = ForeignKeyField(MotivationAvis, null=True)
    rang = IntegerField(null=True)
    rang_reel = IntegerField(null=True)
    commentaire = TextField(null=True)
    preselection_date = DateField(null=True)
    preselection_heure = CharField(max_length=10, null=True)
    preselection_lieu = CharField(null=True)
    created_by = ForeignKeyField(User, null=True, backref="avis_saisis")
    created_at = UTCDateTimeField(default=clock.now)
    valide = BooleanField(default=False, index=True)
    valide_par = ForeignKeyField(User, null=True, backref="avis_valides")
    valide_le = UTCDateTimeField(null=True)


class ReponseQuestion(BaseModel):
    candidature = ForeignKeyField(Candidature, backref="reponses", on_delete="CASCADE")
    question = ForeignKeyField(Question, backref="reponses")
    reponse = TextField(null=True)
    statut = CharField(max_length=2, default="AT")  # AT, TR or NC
    updated_at = UTCDateTimeField(default=clock.now)

    class Meta:
        indexes = ((("candidature", "question"), True),)


class CandidatureTag(BaseModel):
    candidature = ForeignKeyField(Candidature, backref="tag_rows", on_delete="CASCADE")
    tag = ForeignKeyField(Tag, backref="candidatures", on_delete="CASCADE")

    class Meta:
        indexes = ((("candidature", "tag"), True),)


MODELS = [Candidature, PieceCandidat, Avis, ReponseQuestion, CandidatureTag]

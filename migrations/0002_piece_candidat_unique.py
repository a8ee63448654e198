"""One answer per piece, and transmitted candidatures keep their shared pieces.

- Partial unique indexes on piece_candidat: (candidature, piece) for a
  candidature's own rows, (candidat, piece) for shared rows (candidature NULL).
  Duplicates left by concurrent uploads are removed first, keeping the latest
  row (their files stay in the upload folder).
- Each transmitted candidature (statut RE or CO, not cancelled) gets its own copy
  of the shared rows of the pieces its formation asks, as transmission now does
  (see ecandidat.workflow.content)."""
from peewee import *


def up(migrator, db):
    # Frozen stand-ins: only the columns used here, foreign keys as plain ids.
    class PieceCandidat(Model):
        candidat = IntegerField(column_name='candidat_id')
        candidature = IntegerField(column_name='candidature_id', null=True)
        piece = IntegerField(column_name='piece_id')
        statut = CharField()
        fichier = CharField(null=True)
        nom_original = CharField(null=True)
        type_mime = CharField(null=True)
        taille = IntegerField(null=True)
        commentaire = TextField(null=True)
        updated_at = DateTimeField()
        statut_par = CharField(null=True)
        class Meta:
            database = db
            table_name = 'piece_candidat'
            legacy_table_names = False  # index names from the table name, as the models

    class Candidature(Model):
        candidat = IntegerField(column_name='candidat_id')
        formation = IntegerField(column_name='formation_id')
        statut = CharField()
        date_annulation = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'candidature'

    class Formation(Model):
        commission = IntegerField(column_name='commission_id')
        type_traitement = CharField()
        class Meta:
            database = db
            table_name = 'formation'

    class Commission(Model):
        centre = IntegerField(column_name='centre_id')
        class Meta:
            database = db
            table_name = 'commission'

    class PieceJustificative(Model):
        centre = IntegerField(column_name='centre_id', null=True)
        formation = IntegerField(column_name='formation_id', null=True)
        partagee = BooleanField()
        actif = BooleanField()
        type_traitement = CharField(null=True)
        class Meta:
            database = db
            table_name = 'piece_justificative'

    own = PieceCandidat.candidature.is_null(False)
    for scope, key in ((own, PieceCandidat.candidature), (~own, PieceCandidat.candidat)):
        latest = (PieceCandidat.select(fn.MAX(PieceCandidat.id)).where(scope)
                  .group_by(key, PieceCandidat.piece))
        PieceCandidat.delete().where(scope & PieceCandidat.id.not_in(latest)).execute()

    copied = ('statut', 'fichier', 'nom_original', 'type_mime', 'taille', 'commentaire',
              'updated_at', 'statut_par')
    Own = PieceCandidat.alias('own')
    shared_rows = (
        PieceCandidat
        .select(PieceCandidat.candidat, Candidature.id, PieceCandidat.piece,
                *[getattr(PieceCandidat, name) for name in copied])
        .join(Candidature, on=(Candidature.candidat == PieceCandidat.candidat))
        .join(Formation, on=(Formation.id == Candidature.formation))
        .join(Commission, on=(Commission.id == Formation.commission))
        .join(PieceJustificative, on=(PieceJustificative.id == PieceCandidat.piece))
        .where(PieceCandidat.candidature.is_null(),
               Candidature.statut.in_(['RE', 'CO']), Candidature.date_annulation.is_null(),
               PieceJustificative.partagee == True, PieceJustificative.actif == True,
               (PieceJustificative.centre.is_null() & PieceJustificative.formation.is_null())
               | (PieceJustificative.centre == Commission.centre)
               | (PieceJustificative.formation == Formation.id),
               PieceJustificative.type_traitement.is_null()
               | (PieceJustificative.type_traitement == Formation.type_traitement),
               ~fn.EXISTS(Own.select(Own.id).where(Own.candidature == Candidature.id,
                                                   Own.piece == PieceCandidat.piece))))
    PieceCandidat.insert_from(
        shared_rows,
        [PieceCandidat.candidat, PieceCandidat.candidature, PieceCandidat.piece]
        + [getattr(PieceCandidat, name) for name in copied]).execute()

    PieceCandidat.add_index(PieceCandidat.index(
        PieceCandidat.candidature, PieceCandidat.piece, unique=True,
        where=SQL('candidature_id IS NOT NULL')))
    PieceCandidat.add_index(PieceCandidat.index(
        PieceCandidat.candidat, PieceCandidat.piece, unique=True,
        where=SQL('candidature_id IS NULL')))
    PieceCandidat._schema.create_indexes()


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('piece_candidat', 'piece_candidat_candidature_id_piece_id'),
        migrator.drop_index('piece_candidat', 'piece_candidat_candidat_id_piece_id'))

"""What the commission console needs (issue 8).

- Types de décision (type_decision), the favourable decisions of each formation
  (main list, liste complémentaire) and the decision of each avis.
- Which statuts du dossier commission members see (statut_dossier_param; a
  statut without a row keeps its default, ecandidat.permissions).
- Tags as rows (tag, candidature_tag); the old free-text candidature.tags
  (comma-separated) becomes rows, one tag per distinct label.
- Candidatures and formations linked to their campaign; each existing
  candidature gets the campaign whose period contains its creation day.
- An index for the commission lists: (formation, date_annulation, statut)."""
from peewee import *


def up(migrator, db):
    class Campagne(Model):
        date_debut = DateField()
        date_fin = DateField()
        class Meta:
            database = db
            table_name = 'campagne'

    class Candidature(Model):
        created_at = DateTimeField()
        tags = CharField(null=True)
        class Meta:
            database = db
            table_name = 'candidature'

    class Centre(Model):
        class Meta:
            database = db
            table_name = 'centre'

    class TypeDecision(Model):
        code = CharField(unique=True, max_length=20)
        libelle = CharField()
        type_avis = CharField(max_length=2)
        definitif = BooleanField(default=True)
        actif = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'type_decision'

    class Tag(Model):
        libelle = CharField(max_length=60)
        couleur = CharField(max_length=7, default='#1f5fa8')
        centre = ForeignKeyField(Centre, null=True)
        actif = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'tag'

    class CandidatureTag(Model):
        candidature = ForeignKeyField(Candidature, on_delete='CASCADE')
        tag = ForeignKeyField(Tag, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'candidature_tag'
            indexes = ((('candidature', 'tag'), True),)

    class StatutDossierParam(Model):
        code = CharField(primary_key=True, max_length=2)
        visible_commission = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'statut_dossier_param'

    db.create_tables([TypeDecision, Tag, CandidatureTag, StatutDossierParam])

    migrator.migrate(
        migrator.add_column('formation', 'campagne_id',
                            ForeignKeyField(Campagne, field=Campagne.id, null=True)),
        migrator.add_column('formation', 'type_decision_fav_id',
                            ForeignKeyField(TypeDecision, field=TypeDecision.id, null=True)),
        migrator.add_column('formation', 'type_decision_fav_lc_id',
                            ForeignKeyField(TypeDecision, field=TypeDecision.id, null=True)),
        migrator.add_column('candidature', 'campagne_id',
                            ForeignKeyField(Campagne, field=Campagne.id, null=True)),
        migrator.add_column('avis', 'type_decision_id',
                            ForeignKeyField(TypeDecision, field=TypeDecision.id, null=True)),
        migrator.add_index('candidature', ('formation_id', 'date_annulation', 'statut')))

    # Free-text tags → rows.
    tags = {}
    for candidature in Candidature.select(Candidature.id, Candidature.tags).where(
            Candidature.tags.is_null(False)):
        for label in {part.strip()[:60] for part in candidature.tags.split(',')} - {''}:
            if label not in tags:
                tags[label] = Tag.create(libelle=label).id
            (CandidatureTag.insert(candidature=candidature.id, tag=tags[label])
             .on_conflict_ignore().execute())
    migrator.migrate(migrator.drop_column('candidature', 'tags'))

    # Each candidature's campaign: the one whose period contains its creation day.
    class Linked(Model):
        campagne = IntegerField(column_name='campagne_id', null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'candidature'
    for campagne in Campagne.select().order_by(Campagne.date_debut):
        day = fn.SUBSTR(Cast(Linked.created_at, 'TEXT'), 1, 10)  # 'YYYY-MM-DD' on both
        (Linked.update(campagne=campagne.id)
         .where(Linked.campagne.is_null(), day >= str(campagne.date_debut),
                day <= str(campagne.date_fin))
         .execute())


def down(migrator, db):
    migrator.migrate(
        migrator.add_column('candidature', 'tags', CharField(null=True)),
        migrator.drop_index('candidature', 'candidature_formation_id_date_annulation_statut'),
        migrator.drop_column('avis', 'type_decision_id'),
        migrator.drop_column('candidature', 'campagne_id'),
        migrator.drop_column('formation', 'type_decision_fav_lc_id'),
        migrator.drop_column('formation', 'type_decision_fav_id'),
        migrator.drop_column('formation', 'campagne_id'))
    for table in ('statut_dossier_param', 'candidature_tag', 'tag', 'type_decision'):
        db.execute_sql(f'DROP TABLE "{table}"')

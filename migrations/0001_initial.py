"""Initial schema (generated from the models by playhouse.migrations.template)."""
from peewee import *
import datetime


def up(migrator, db):
    class Pays(Model):
        code = CharField(primary_key=True, max_length=3)
        iso2 = CharField(unique=True, max_length=2)
        libelle = CharField(index=True)
        nationalite = CharField()
        class Meta:
            database = db
            table_name = 'pays'
    db.create_tables([Pays])

    class Departement(Model):
        code = CharField(primary_key=True, max_length=3)
        libelle = CharField(index=True)
        region = CharField(null=True, max_length=3)
        class Meta:
            database = db
            table_name = 'departement'
    db.create_tables([Departement])

    class Commune(Model):
        code_insee = CharField(primary_key=True, max_length=5)
        libelle = CharField(index=True)
        departement = ForeignKeyField(Departement, null=True)
        class Meta:
            database = db
            table_name = 'commune'
    db.create_tables([Commune])

    class Adresse(Model):
        pays = ForeignKeyField(Pays, null=True)
        code_postal = CharField(null=True, max_length=10)
        commune = ForeignKeyField(Commune, null=True)
        ville_etrangere = CharField(null=True)
        adresse1 = CharField(null=True)
        adresse2 = CharField(null=True)
        adresse3 = CharField(null=True)
        cedex = CharField(null=True, max_length=20)
        class Meta:
            database = db
            table_name = 'adresse'
    db.create_tables([Adresse])

    class AuditLog(Model):
        created_at = DateTimeField(index=True, default=datetime.datetime.now)
        actor = CharField()
        action = CharField(index=True, max_length=60)
        table = CharField(max_length=60)
        record_id = IntegerField(index=True)
        before = TextField(null=True)
        after = TextField(null=True)
        class Meta:
            database = db
            table_name = 'audit_log'
            indexes = ((('table', 'record_id'), False),)
    db.create_tables([AuditLog])

    class CompteCandidat(Model):
        numero_dossier = CharField(unique=True, max_length=8)
        nom = CharField(max_length=30)
        prenom = CharField(max_length=30)
        email = CharField(unique=True)
        password_hash = CharField(null=True)
        valide = BooleanField(index=True, default=False)
        validation_token_hash = CharField(index=True, null=True, max_length=64)
        validation_expires_at = DateTimeField(null=True)
        reset_token_hash = CharField(index=True, null=True, max_length=64)
        reset_expires_at = DateTimeField(null=True)
        must_change_password = BooleanField(default=False)
        session_token = CharField(unique=True, max_length=64)
        langue = CharField(max_length=5, default='fr')
        created_at = DateTimeField(index=True, default=datetime.datetime.now)
        class Meta:
            database = db
            table_name = 'compte_candidat'
    db.create_tables([CompteCandidat])

    class Candidat(Model):
        compte = ForeignKeyField(CompteCandidat, unique=True, on_delete='CASCADE')
        civilite = CharField(null=True, max_length=3)
        nom_patronymique = CharField(max_length=30)
        nom_usuel = CharField(null=True, max_length=30)
        prenom = CharField(max_length=20)
        autre_prenom = CharField(null=True, max_length=20)
        date_naissance = DateField(null=True)
        pays_naissance = ForeignKeyField(Pays, null=True)
        departement_naissance = ForeignKeyField(Departement, null=True)
        commune_naissance = ForeignKeyField(Commune, null=True)
        ville_naissance = CharField(null=True)
        nationalite = ForeignKeyField(Pays, null=True)
        ine = CharField(index=True, null=True, max_length=10)
        cle_ine = CharField(null=True, max_length=2)
        telephone = CharField(null=True, max_length=20)
        telephone_portable = CharField(null=True, max_length=20)
        langue = CharField(max_length=5, default='fr')
        adresse = ForeignKeyField(Adresse, null=True)
        updated_at = DateTimeField(default=datetime.datetime.now)
        class Meta:
            database = db
            table_name = 'candidat'
    db.create_tables([Candidat])

    class TypeDiplome(Model):
        code = CharField(unique=True, max_length=20)
        libelle = CharField()
        ordre = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'type_diplome'
    db.create_tables([TypeDiplome])

    class Centre(Model):
        code = CharField(unique=True, max_length=20)
        libelle = CharField(index=True)
        mail_contact = CharField(null=True)
        actif = BooleanField(default=True)
        demat_defaut = BooleanField(default=True)
        nb_max_voeux = IntegerField(null=True)
        informations = TextField(null=True)
        date_debut_depot = DateField(null=True)
        date_fin_depot = DateField(null=True)
        date_preanalyse = DateField(null=True)
        date_retour = DateField(null=True)
        date_jury = DateField(null=True)
        date_publication = DateField(null=True)
        date_confirmation = DateField(null=True)
        delai_confirmation = IntegerField(null=True)
        class Meta:
            database = db
            table_name = 'centre'
    db.create_tables([Centre])

    class Commission(Model):
        code = CharField(unique=True, max_length=20)
        libelle = CharField(index=True)
        centre = ForeignKeyField(Centre)
        actif = BooleanField(default=True)
        adresse = ForeignKeyField(Adresse, null=True)
        mail = CharField(null=True)
        telephone = CharField(null=True, max_length=30)
        url = CharField(null=True)
        signataire = CharField(null=True)
        signature_fichier = CharField(null=True)
        commentaire_retour = TextField(null=True)
        lettre_editable = BooleanField(default=True)
        lettre_par_mail = BooleanField(default=False)
        alerte_transmission = BooleanField(default=True)
        alerte_annulation = BooleanField(default=True)
        alerte_desistement = BooleanField(default=True)
        alerte_liste_principale = BooleanField(default=True)
        mail_alerte = CharField(null=True)
        class Meta:
            database = db
            table_name = 'commission'
    db.create_tables([Commission])

    class Formation(Model):
        code = CharField(unique=True, max_length=20)
        libelle = CharField(index=True)
        type_diplome = ForeignKeyField(TypeDiplome)
        commission = ForeignKeyField(Commission)
        mots_cles = CharField(null=True)
        type_traitement = CharField(max_length=2, default='AC')
        demat = BooleanField(default=True)
        actif = BooleanField(index=True, default=True)
        capacite = IntegerField(null=True)
        liste_complementaire = BooleanField(default=False)
        date_debut_depot = DateField(index=True)
        date_fin_depot = DateField(index=True)
        date_preanalyse = DateField(null=True)
        date_retour = DateField()
        date_jury = DateField(null=True)
        date_publication = DateField(null=True)
        date_confirmation = DateField(null=True)
        delai_confirmation = IntegerField(null=True)
        date_confirmation_lc = DateField(null=True)
        delai_confirmation_lc = IntegerField(null=True)
        preselection_date = DateField(null=True)
        preselection_heure = CharField(null=True, max_length=10)
        preselection_lieu = CharField(null=True)
        url = CharField(null=True)
        informations = TextField(null=True)
        class Meta:
            database = db
            table_name = 'formation'
    db.create_tables([Formation])

    class Candidature(Model):
        candidat = ForeignKeyField(Candidat, on_delete='CASCADE')
        formation = ForeignKeyField(Formation)
        statut = CharField(index=True, max_length=2, default='AT')
        type_traitement = CharField(index=True, max_length=2, default='AT')
        type_traitement_valide = BooleanField(default=False)
        created_at = DateTimeField(index=True, default=datetime.datetime.now)
        date_transmission = DateTimeField(null=True)
        date_reception = DateTimeField(null=True)
        date_complet = DateTimeField(null=True)
        date_incomplet = DateTimeField(null=True)
        date_modification_statut = DateTimeField(null=True)
        date_annulation = DateTimeField(index=True, null=True)
        annulee_par = CharField(null=True)
        confirmation = CharField(index=True, null=True, max_length=10)
        date_confirmation = DateTimeField(null=True)
        confirmation_par = CharField(null=True)
        date_retour_manuelle = DateField(null=True)
        date_confirmation_manuelle = DateField(null=True)
        relance_envoyee = BooleanField(default=False)
        tags = CharField(null=True)
        bloc_notes = TextField(null=True)
        class Meta:
            database = db
            table_name = 'candidature'
            indexes = ((('candidat', 'formation', 'statut'), False),)
    # One live candidature per (candidat, formation); cancelled ones stay as history.
    Candidature.add_index(Candidature.index(
        Candidature.candidat, Candidature.formation, unique=True,
        where=SQL('date_annulation IS NULL')))
    db.create_tables([Candidature])

    class MotivationAvis(Model):
        code = CharField(unique=True, max_length=20)
        libelle = CharField()
        centre = ForeignKeyField(Centre, null=True)
        actif = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'motivation_avis'
    db.create_tables([MotivationAvis])

    class User(Model):
        email = CharField(unique=True)
        nom = CharField(max_length=60)
        prenom = CharField(max_length=60)
        password_hash = CharField(null=True)
        role = CharField(index=True, max_length=20)
        actif = BooleanField(default=True)
        lecture_seule = BooleanField(default=False)
        must_change_password = BooleanField(default=False)
        session_token = CharField(unique=True, max_length=64)
        created_at = DateTimeField(default=datetime.datetime.now)
        class Meta:
            database = db
            table_name = 'user'
    db.create_tables([User])

    class Avis(Model):
        candidature = ForeignKeyField(Candidature, on_delete='CASCADE')
        type_avis = CharField(index=True, max_length=2)
        motivation = ForeignKeyField(MotivationAvis, null=True)
        rang = IntegerField(null=True)
        rang_reel = IntegerField(null=True)
        commentaire = TextField(null=True)
        preselection_date = DateField(null=True)
        preselection_heure = CharField(null=True, max_length=10)
        preselection_lieu = CharField(null=True)
        created_by = ForeignKeyField(User, null=True)
        created_at = DateTimeField(default=datetime.datetime.now)
        valide = BooleanField(index=True, default=False)
        valide_par = ForeignKeyField(User, null=True)
        valide_le = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'avis'
    db.create_tables([Avis])

    class BacMention(Model):
        code = CharField(primary_key=True, max_length=10)
        libelle = CharField()
        premiere_annee = IntegerField(null=True)
        derniere_annee = IntegerField(null=True)
        class Meta:
            database = db
            table_name = 'bac_mention'
    db.create_tables([BacMention])

    class BacSerie(Model):
        code = CharField(primary_key=True, max_length=10)
        libelle = CharField()
        premiere_annee = IntegerField(null=True)
        derniere_annee = IntegerField(null=True)
        specialites = BooleanField(default=False)
        sans_bac = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'bac_serie'
    db.create_tables([BacSerie])

    class BacSpecialite(Model):
        code = CharField(primary_key=True, max_length=10)
        libelle = CharField()
        premiere_annee = IntegerField(null=True)
        derniere_annee = IntegerField(null=True)
        class Meta:
            database = db
            table_name = 'bac_specialite'
    db.create_tables([BacSpecialite])

    class Campagne(Model):
        code = CharField(unique=True, max_length=20)
        libelle = CharField()
        date_debut = DateField()
        date_fin = DateField()
        date_fin_candidat = DateField(null=True)
        en_service = BooleanField(index=True, default=True)
        archivee_le = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'campagne'
    db.create_tables([Campagne])

    class Etablissement(Model):
        uai = CharField(primary_key=True, max_length=8)
        libelle = CharField(index=True)
        type = CharField(max_length=40, default='LYC')
        departement = ForeignKeyField(Departement, null=True)
        commune = ForeignKeyField(Commune, null=True)
        code_postal = CharField(null=True, max_length=5)
        ville = CharField(null=True)
        actif = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'etablissement'
    db.create_tables([Etablissement])

    class CandidatBac(Model):
        candidat = ForeignKeyField(Candidat, unique=True, on_delete='CASCADE')
        annee_obtention = IntegerField(null=True)
        serie = ForeignKeyField(BacSerie, null=True)
        mention = ForeignKeyField(BacMention, null=True)
        pays = ForeignKeyField(Pays, null=True)
        departement = ForeignKeyField(Departement, null=True)
        commune = ForeignKeyField(Commune, null=True)
        etablissement = ForeignKeyField(Etablissement, null=True)
        class Meta:
            database = db
            table_name = 'candidat_bac'
    db.create_tables([CandidatBac])

    class CandidatBacSpecialite(Model):
        bac = ForeignKeyField(CandidatBac, on_delete='CASCADE')
        specialite = ForeignKeyField(BacSpecialite)
        class Meta:
            database = db
            table_name = 'candidat_bac_specialite'
            indexes = ((('bac', 'specialite'), True),)
    db.create_tables([CandidatBacSpecialite])

    class CommissionMembre(Model):
        commission = ForeignKeyField(Commission, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        president = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'commission_membre'
            indexes = ((('commission', 'user'), True),)
    db.create_tables([CommissionMembre])

    class CommuneCodePostal(Model):
        code_postal = CharField(index=True, max_length=5)
        commune = ForeignKeyField(Commune, on_delete='CASCADE')
        libelle_acheminement = CharField(null=True)
        class Meta:
            database = db
            table_name = 'commune_code_postal'
            indexes = ((('code_postal', 'commune'), True),)
    db.create_tables([CommuneCodePostal])

    class CursusType(Model):
        code = CharField(primary_key=True, max_length=10)
        libelle = CharField()
        class Meta:
            database = db
            table_name = 'cursus_type'
    db.create_tables([CursusType])

    class CursusExterne(Model):
        candidat = ForeignKeyField(Candidat, on_delete='CASCADE')
        annee = IntegerField()
        pays = ForeignKeyField(Pays, null=True)
        departement = ForeignKeyField(Departement, null=True)
        commune = ForeignKeyField(Commune, null=True)
        etablissement = ForeignKeyField(Etablissement, null=True)
        etablissement_libelle = CharField(null=True)
        cursus_type = ForeignKeyField(CursusType, null=True)
        libelle = CharField()
        niveau = CharField(null=True, max_length=20)
        obtenu = CharField(max_length=1)
        mention = CharField(null=True)
        class Meta:
            database = db
            table_name = 'cursus_externe'
    db.create_tables([CursusExterne])

    class CursusInterne(Model):
        candidat = ForeignKeyField(Candidat, on_delete='CASCADE')
        annee = IntegerField()
        code_etape = CharField(null=True, max_length=20)
        libelle = CharField()
        note = CharField(null=True, max_length=10)
        bareme = CharField(null=True, max_length=10)
        mention = CharField(null=True)
        resultat = CharField(null=True)
        class Meta:
            database = db
            table_name = 'cursus_interne'
    db.create_tables([CursusInterne])

    class ExperiencePro(Model):
        candidat = ForeignKeyField(Candidat, on_delete='CASCADE')
        annee = IntegerField()
        intitule = CharField()
        duree = CharField(max_length=50)
        employeur = CharField()
        descriptif = TextField(null=True)
        class Meta:
            database = db
            table_name = 'experience_pro'
    db.create_tables([ExperiencePro])

    class GestionnaireCentre(Model):
        centre = ForeignKeyField(Centre, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'gestionnaire_centre'
            indexes = ((('centre', 'user'), True),)
    db.create_tables([GestionnaireCentre])

    class MailTemplate(Model):
        code = CharField(unique=True, max_length=40)
        libelle = CharField()
        sujet = CharField()
        corps = TextField()
        actif = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'mail_template'
    db.create_tables([MailTemplate])

    class OutboxMail(Model):
        destinataire = CharField()
        sujet = CharField()
        corps_texte = TextField()
        corps_html = TextField(null=True)
        code = CharField(index=True, null=True, max_length=40)
        piece_jointe = CharField(null=True)
        created_at = DateTimeField(index=True, default=datetime.datetime.now)
        sent_at = DateTimeField(index=True, null=True)
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField(index=True, default=datetime.datetime.now)
        last_error = TextField(null=True)
        class Meta:
            database = db
            table_name = 'outbox_mail'
    db.create_tables([OutboxMail])

    class PieceJustificative(Model):
        code = CharField(unique=True, max_length=20)
        libelle = CharField()
        centre = ForeignKeyField(Centre, null=True)
        formation = ForeignKeyField(Formation, null=True)
        conditionnelle = BooleanField(default=False)
        partagee = BooleanField(default=False)
        type_traitement = CharField(null=True, max_length=2)
        fichier_modele = CharField(null=True)
        fichier_modele_nom = CharField(null=True)
        ordre = IntegerField(default=0)
        actif = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'piece_justificative'
    db.create_tables([PieceJustificative])

    class PieceCandidat(Model):
        candidat = ForeignKeyField(Candidat, on_delete='CASCADE')
        candidature = ForeignKeyField(Candidature, null=True, on_delete='CASCADE')
        piece = ForeignKeyField(PieceJustificative)
        statut = CharField(index=True, max_length=2, default='AT')
        fichier = CharField(null=True)
        nom_original = CharField(null=True)
        type_mime = CharField(null=True, max_length=50)
        taille = IntegerField(null=True)
        commentaire = TextField(null=True)
        updated_at = DateTimeField(default=datetime.datetime.now)
        statut_par = CharField(null=True)
        class Meta:
            database = db
            table_name = 'piece_candidat'
    db.create_tables([PieceCandidat])

    class Question(Model):
        code = CharField(unique=True, max_length=20)
        libelle = CharField()
        type = CharField(max_length=1, default='S')
        choix = TextField(null=True)
        centre = ForeignKeyField(Centre, null=True)
        formation = ForeignKeyField(Formation, null=True)
        obligatoire = BooleanField(default=True)
        ordre = IntegerField(default=0)
        actif = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'question'
    db.create_tables([Question])

    class ReponseQuestion(Model):
        candidature = ForeignKeyField(Candidature, on_delete='CASCADE')
        question = ForeignKeyField(Question)
        reponse = TextField(null=True)
        statut = CharField(max_length=2, default='AT')
        updated_at = DateTimeField(default=datetime.datetime.now)
        class Meta:
            database = db
            table_name = 'reponse_question'
            indexes = ((('candidature', 'question'), True),)
    db.create_tables([ReponseQuestion])

    class Stage(Model):
        candidat = ForeignKeyField(Candidat, on_delete='CASCADE')
        annee = IntegerField()
        duree = CharField(max_length=50)
        heures_semaine = IntegerField(null=True)
        employeur = CharField()
        descriptif = TextField(null=True)
        class Meta:
            database = db
            table_name = 'stage'
    db.create_tables([Stage])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('stage'))
    migrator.migrate(migrator.drop_table('reponse_question'))
    migrator.migrate(migrator.drop_table('question'))
    migrator.migrate(migrator.drop_table('piece_candidat'))
    migrator.migrate(migrator.drop_table('piece_justificative'))
    migrator.migrate(migrator.drop_table('outbox_mail'))
    migrator.migrate(migrator.drop_table('mail_template'))
    migrator.migrate(migrator.drop_table('gestionnaire_centre'))
    migrator.migrate(migrator.drop_table('experience_pro'))
    migrator.migrate(migrator.drop_table('cursus_interne'))
    migrator.migrate(migrator.drop_table('cursus_externe'))
    migrator.migrate(migrator.drop_table('cursus_type'))
    migrator.migrate(migrator.drop_table('commune_code_postal'))
    migrator.migrate(migrator.drop_table('commission_membre'))
    migrator.migrate(migrator.drop_table('candidat_bac_specialite'))
    migrator.migrate(migrator.drop_table('candidat_bac'))
    migrator.migrate(migrator.drop_table('etablissement'))
    migrator.migrate(migrator.drop_table('campagne'))
    migrator.migrate(migrator.drop_table('bac_specialite'))
    migrator.migrate(migrator.drop_table('bac_serie'))
    migrator.migrate(migrator.drop_table('bac_mention'))
    migrator.migrate(migrator.drop_table('avis'))
    migrator.migrate(migrator.drop_table('user'))
    migrator.migrate(migrator.drop_table('motivation_avis'))
    migrator.migrate(migrator.drop_table('candidature'))
    migrator.migrate(migrator.drop_table('formation'))
    migrator.migrate(migrator.drop_table('commission'))
    migrator.migrate(migrator.drop_table('centre'))
    migrator.migrate(migrator.drop_table('type_diplome'))
    migrator.migrate(migrator.drop_table('candidat'))
    migrator.migrate(migrator.drop_table('compte_candidat'))
    migrator.migrate(migrator.drop_table('audit_log'))
    migrator.migrate(migrator.drop_table('adresse'))
    migrator.migrate(migrator.drop_table('commune'))
    migrator.migrate(migrator.drop_table('departement'))
    migrator.migrate(migrator.drop_table('pays'))

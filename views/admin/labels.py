"""French labels of every field the console shows (lists, details, filters, forms).

Flask-Admin would otherwise print field names ("Date Debut Depot"); a test
checks that every column and form field of every console view has a label here
(or in its view's own ``labels``)."""
from flask_babel import lazy_gettext as _l

LABELS = {
    # shared
    "id": _l("Identifiant"),
    "code": _l("Code"),
    "libelle": _l("Libellé"),
    "actif": _l("Actif"),
    "centre": _l("Centre de candidature"),
    "commission": _l("Commission"),
    "formation": _l("Formation"),
    "informations": _l("Informations complémentaires"),
    "url": _l("Site web"),
    "ordre": _l("Ordre d'affichage"),
    "type_traitement": _l("Type de traitement"),
    "created_at": _l("Créé le"),
    # campagne
    "date_debut": _l("Début de la campagne"),
    "date_fin": _l("Fin de la campagne"),
    "date_fin_candidat": _l("Fin de la campagne pour les candidats"),
    "en_service": _l("En service"),
    "archivee_le": _l("Archivée le"),
    # centre, formation: dates
    "mail_contact": _l("Adresse mail de contact"),
    "demat_defaut": _l("Dématérialisé par défaut"),
    "nb_max_voeux": _l("Nombre maximum de candidatures"),
    "date_debut_depot": _l("Début de dépôt des vœux"),
    "date_fin_depot": _l("Fin de dépôt des vœux"),
    "date_preanalyse": _l("Date de pré-analyse"),
    "date_retour": _l("Date limite de retour"),
    "date_jury": _l("Date de jury"),
    "date_publication": _l("Date de publication des résultats"),
    "date_confirmation": _l("Date limite de confirmation"),
    "delai_confirmation": _l("Délai de confirmation (jours)"),
    "date_confirmation_lc": _l("Date limite de confirmation (liste complémentaire)"),
    "delai_confirmation_lc": _l("Délai de confirmation en liste complémentaire (jours)"),
    # commission
    "adresse": _l("Adresse"),
    "mail": _l("Adresse mail"),
    "telephone": _l("Téléphone"),
    "signataire": _l("Signataire des lettres"),
    "signature_fichier": _l("Image de signature"),
    "commentaire_retour": _l("Instructions de retour du dossier"),
    "lettre_editable": _l("Lettres téléchargeables par le candidat"),
    "lettre_par_mail": _l("Lettres jointes aux mails"),
    "alerte_transmission": _l("Alerte à chaque transmission"),
    "alerte_annulation": _l("Alerte à chaque annulation"),
    "alerte_desistement": _l("Alerte à chaque désistement"),
    "alerte_liste_principale": _l("Alerte au passage en liste principale"),
    "mail_alerte": _l("Adresse mail des alertes"),
    # formation
    "type_diplome": _l("Type de diplôme"),
    "mots_cles": _l("Mots clés"),
    "demat": _l("Dématérialisée"),
    "capacite": _l("Capacité d'accueil"),
    "liste_complementaire": _l("Liste complémentaire"),
    "preselection_date": _l("Date de présélection"),
    "preselection_heure": _l("Heure de présélection"),
    "preselection_lieu": _l("Lieu de présélection"),
    # pièce justificative
    "conditionnelle": _l("Conditionnelle (« Non concerné » possible)"),
    "partagee": _l("Commune à toutes les candidatures du candidat"),
    "fichier_modele": _l("Fichier modèle"),
    "fichier_modele_nom": _l("Nom du fichier modèle"),
    # modèle de mail
    "sujet": _l("Sujet"),
    "corps": _l("Corps du message"),
    # utilisateur
    "email": _l("Adresse mail"),
    "nom": _l("Nom"),
    "prenom": _l("Prénom"),
    "role": _l("Rôle"),
    "lecture_seule": _l("Lecture seule"),
    "must_change_password": _l("Doit changer son mot de passe"),
    "commissions": _l("Commissions"),
    "password": _l("Nouveau mot de passe"),
}

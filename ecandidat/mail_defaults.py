"""Default mail templates: (libellé, sujet, corps) per code of SPEC §5.

The console edits the stored copy; these texts fill in what is missing.
Bodies are Jinja text rendered in a sandbox with the variables named in each."""

SIGNATURE = "\n\n-- \nCe message vous est envoyé par eCandidat, merci de ne pas y répondre."

DEFAULT_TEMPLATES = {
    "CPT_MIN_CREATE": (
        "Création de compte",
        "Validez la création de votre compte eCandidat",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Votre compte eCandidat a été créé. Votre numéro de dossier est {{ numero_dossier }}.\n\n"
        "Pour valider votre adresse mail et activer votre compte, ouvrez ce lien :\n"
        "{{ lien_validation }}\n\n"
        "Ce lien est valable jusqu'au {{ date_expiration }}. Sans validation, le compte sera "
        "supprimé." + SIGNATURE),
    "CPT_MIN_LIEN_VALID_OUBLIE": (
        "Nouveau lien de validation",
        "Votre nouveau lien de validation eCandidat",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Voici un nouveau lien pour valider votre compte eCandidat (numéro de dossier "
        "{{ numero_dossier }}) :\n{{ lien_validation }}\n\n"
        "Ce lien est valable jusqu'au {{ date_expiration }}. Les liens envoyés avant celui-ci "
        "ne fonctionnent plus." + SIGNATURE),
    "CPT_MIN_MDP_OUBLIE": (
        "Identifiants oubliés",
        "Réinitialisation de votre mot de passe eCandidat",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Votre numéro de dossier (identifiant) est {{ numero_dossier }}.\n\n"
        "Pour choisir un nouveau mot de passe, ouvrez ce lien :\n{{ lien_reinitialisation }}\n\n"
        "Ce lien ne sert qu'une fois et expire le {{ date_expiration }}. Si vous n'avez rien "
        "demandé, ignorez ce message : votre mot de passe reste inchangé." + SIGNATURE),
    "CPT_MIN_MOD_MAIL": (
        "Modification de l'adresse mail",
        "Validez votre nouvelle adresse mail eCandidat",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "L'adresse mail de votre compte eCandidat ({{ numero_dossier }}) a été modifiée. "
        "Pour la valider et vous reconnecter, ouvrez ce lien :\n{{ lien_validation }}\n\n"
        "Ce lien est valable jusqu'au {{ date_expiration }}." + SIGNATURE),
    "CPT_MIN_SUPPRESSION": (
        "Suppression du compte",
        "Votre compte eCandidat est supprimé",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "À votre demande, votre compte eCandidat (numéro de dossier {{ numero_dossier }}) "
        "a été supprimé, avec votre dossier et les fichiers que vous aviez déposés.\n\n"
        "Si vous n'êtes pas à l'origine de cette suppression, contactez l'établissement."
        + SIGNATURE),
    "CANDIDATURE": (
        "Candidature créée",
        "Votre candidature à {{ formation }}",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Votre candidature à la formation « {{ formation }} » a bien été créée.\n"
        "Complétez-la et transmettez-la avant le {{ date_retour }} : un dossier non transmis "
        "ne constitue pas une candidature." + SIGNATURE),
    "CANDIDATURE_ANNULATION": (
        "Candidature annulée",
        "Annulation de votre candidature à {{ formation }}",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Votre candidature à la formation « {{ formation }} » a été annulée." + SIGNATURE),
    "CANDIDATURE_CONFIRM": (
        "Candidature confirmée",
        "Confirmation de votre candidature à {{ formation }}",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Vous avez confirmé votre candidature à la formation « {{ formation }} »." + SIGNATURE),
    "CANDIDATURE_DESIST": (
        "Désistement",
        "Désistement de votre candidature à {{ formation }}",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Votre désistement de la formation « {{ formation }} » est enregistré."
        "{% if motif_desistement %}\nMotif indiqué : {{ motif_desistement }}{% endif %}"
        + SIGNATURE),
    "CANDIDATURE_DESIST_AUTO": (
        "Désistement automatique",
        "Désistement automatique de votre candidature à {{ formation }}",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Faute de confirmation avant le {{ date_confirmation }}, vous êtes désisté(e) de la "
        "formation « {{ formation }} »." + SIGNATURE),
    "CANDIDATURE_RELANCE_FAVO": (
        "Relance avant la date de confirmation",
        "Confirmez votre candidature à {{ formation }}",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Vous avez reçu un avis favorable pour la formation « {{ formation }} ». Confirmez votre "
        "candidature ou désistez-vous avant le {{ date_confirmation }}." + SIGNATURE),
    "CANDIDATURE_RELANCE_TRANSMISSION": (
        "Relance avant la date limite de retour",
        "Votre candidature à {{ formation }} n'est pas transmise",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Votre candidature à la formation « {{ formation }} » n'est pas encore transmise. "
        "Transmettez-la avant le {{ date_retour }} : un dossier non transmis ne constitue pas "
        "une candidature." + SIGNATURE),
    "STATUT_AT": (
        "Statut du dossier : en attente",
        "Votre dossier {{ formation }} est en attente",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Le statut de votre dossier pour la formation « {{ formation }} » est : En attente."
        + SIGNATURE),
    "STATUT_RE": (
        "Statut du dossier : réceptionné",
        "Votre dossier {{ formation }} a été réceptionné",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Votre dossier pour la formation « {{ formation }} » a été réceptionné." + SIGNATURE),
    "STATUT_IN": (
        "Statut du dossier : incomplet",
        "Votre dossier {{ formation }} est incomplet",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Votre dossier pour la formation « {{ formation }} » est incomplet. Complétez-le et "
        "transmettez-le à nouveau avant le {{ date_retour }}." + SIGNATURE),
    "STATUT_CO": (
        "Statut du dossier : complet",
        "Votre dossier {{ formation }} est complet",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Votre dossier pour la formation « {{ formation }} » est complet." + SIGNATURE),
    "TYPE_TRAIT_AD": (
        "Type de traitement : accès direct",
        "Votre candidature à {{ formation }} : accès direct",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Votre candidature à la formation « {{ formation }} » relève de l'accès direct."
        + SIGNATURE),
    "TYPE_TRAIT_AC": (
        "Type de traitement : accès contrôlé",
        "Votre candidature à {{ formation }} : accès contrôlé",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Votre candidature à la formation « {{ formation }} » sera examinée par la commission."
        + SIGNATURE),
    "TYPE_TRAIT_ATT": (
        "Type de traitement : en attente",
        "Votre candidature à {{ formation }} : traitement en attente",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Le type de traitement de votre candidature à la formation « {{ formation }} » est en "
        "attente." + SIGNATURE),
    "AVIS_FAVORABLE": (
        "Avis favorable",
        "Décision concernant votre candidature à {{ formation }}",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "La commission a rendu un avis favorable à votre candidature à la formation "
        "« {{ formation }} ». Confirmez votre candidature ou désistez-vous avant le "
        "{{ date_confirmation }}.{% if commentaire %}\n\n{{ commentaire }}{% endif %}"
        + SIGNATURE),
    "AVIS_DEFAVORABLE": (
        "Avis défavorable",
        "Décision concernant votre candidature à {{ formation }}",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "La commission a rendu un avis défavorable à votre candidature à la formation "
        "« {{ formation }} ».\nMotif : {{ motivation }}{% if commentaire %}\n\n{{ commentaire }}"
        "{% endif %}" + SIGNATURE),
    "AVIS_LISTE_ATT": (
        "Liste d'attente",
        "Décision concernant votre candidature à {{ formation }}",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Votre candidature à la formation « {{ formation }} » est placée en liste d'attente."
        + SIGNATURE),
    "AVIS_LISTE_COMP": (
        "Liste complémentaire",
        "Décision concernant votre candidature à {{ formation }}",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Votre candidature à la formation « {{ formation }} » est placée en liste "
        "complémentaire, au rang {{ rang }}." + SIGNATURE),
    "AVIS_PRESELECTION": (
        "Présélection",
        "Présélection pour la formation {{ formation }}",
        "Bonjour {{ prenom }} {{ nom }},\n\n"
        "Vous êtes présélectionné(e) pour la formation « {{ formation }} ». Épreuve le "
        "{{ preselection_date }} à {{ preselection_heure }}, lieu : {{ preselection_lieu }}."
        + SIGNATURE),
    "COMMISSION_ALERT_TRANSMISSION": (
        "Alerte commission : transmission",
        "[eCandidat] Dossier transmis : {{ candidat }} — {{ formation }}",
        "Le candidat {{ candidat }} (dossier {{ numero_dossier }}) a transmis sa candidature à "
        "la formation « {{ formation }} »." + SIGNATURE),
    "COMMISSION_ALERT_ANNULATION": (
        "Alerte commission : annulation",
        "[eCandidat] Candidature annulée : {{ candidat }} — {{ formation }}",
        "Le candidat {{ candidat }} (dossier {{ numero_dossier }}) a annulé sa candidature à la "
        "formation « {{ formation }} »." + SIGNATURE),
    "COMMISSION_ALERT_DESISTEMENT": (
        "Alerte commission : désistement",
        "[eCandidat] Désistement : {{ candidat }} — {{ formation }}",
        "Le candidat {{ candidat }} (dossier {{ numero_dossier }}) s'est désisté de la formation "
        "« {{ formation }} »."
        "{% if motif_desistement %}\nMotif indiqué : {{ motif_desistement }}{% endif %}"
        + SIGNATURE),
    "COMMISSION_ALERT_LISTE_PRINC": (
        "Alerte commission : passage en liste principale",
        "[eCandidat] Liste complémentaire : {{ candidat }} — {{ formation }}",
        "Le candidat {{ candidat }} (dossier {{ numero_dossier }}) passe de la liste "
        "complémentaire à la liste principale de la formation « {{ formation }} »." + SIGNATURE),
}

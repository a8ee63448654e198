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

SIGNATURE_EN = "\n\n-- \nThis message was sent by eCandidat, please do not reply to it."

# The English version of each code's template: (sujet, corps), same variables. A
# commission alert is written for the institution's staff: its English text is used
# only when the console asks for it (its mails are sent in French).
ENGLISH_TEMPLATES = {
    "CPT_MIN_CREATE": (
        "Confirm the creation of your eCandidat account",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "Your eCandidat account has been created. Your file number is "
        "{{ numero_dossier }}.\n\n"
        "To confirm your email address and activate your account, open this link:\n"
        "{{ lien_validation }}\n\n"
        "This link is valid until {{ date_expiration }}. Without confirmation, the account "
        "will be deleted." + SIGNATURE_EN),
    "CPT_MIN_LIEN_VALID_OUBLIE": (
        "Your new eCandidat confirmation link",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "Here is a new link to confirm your eCandidat account (file number "
        "{{ numero_dossier }}):\n{{ lien_validation }}\n\n"
        "This link is valid until {{ date_expiration }}. The links sent before this one no "
        "longer work." + SIGNATURE_EN),
    "CPT_MIN_MDP_OUBLIE": (
        "Resetting your eCandidat password",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "Your file number (username) is {{ numero_dossier }}.\n\n"
        "To choose a new password, open this link:\n{{ lien_reinitialisation }}\n\n"
        "This link works only once and expires on {{ date_expiration }}. If you did not ask "
        "for anything, ignore this message: your password stays unchanged." + SIGNATURE_EN),
    "CPT_MIN_MOD_MAIL": (
        "Confirm your new eCandidat email address",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "The email address of your eCandidat account ({{ numero_dossier }}) has been "
        "changed. To confirm it and sign in again, open this link:\n{{ lien_validation }}\n\n"
        "This link is valid until {{ date_expiration }}." + SIGNATURE_EN),
    "CPT_MIN_SUPPRESSION": (
        "Your eCandidat account has been deleted",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "As you asked, your eCandidat account (file number {{ numero_dossier }}) has been "
        "deleted, with your file and the files you had uploaded.\n\n"
        "If you did not ask for this deletion, contact the institution." + SIGNATURE_EN),
    "CANDIDATURE": (
        "Your application to {{ formation }}",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "Your application to the programme “{{ formation }}” has been created.\n"
        "Complete it and submit it before {{ date_retour }}: an application file that has "
        "not been submitted does not count as an application." + SIGNATURE_EN),
    "CANDIDATURE_ANNULATION": (
        "Cancellation of your application to {{ formation }}",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "Your application to the programme “{{ formation }}” has been cancelled."
        + SIGNATURE_EN),
    "CANDIDATURE_CONFIRM": (
        "Confirmation of your application to {{ formation }}",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "You have confirmed your application to the programme “{{ formation }}”."
        + SIGNATURE_EN),
    "CANDIDATURE_DESIST": (
        "Withdrawal of your application to {{ formation }}",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "Your withdrawal from the programme “{{ formation }}” has been recorded."
        "{% if motif_desistement %}\nReason given: {{ motif_desistement }}{% endif %}"
        + SIGNATURE_EN),
    "CANDIDATURE_DESIST_AUTO": (
        "Automatic withdrawal of your application to {{ formation }}",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "As you did not confirm before {{ date_confirmation }}, you have been withdrawn from "
        "the programme “{{ formation }}”." + SIGNATURE_EN),
    "CANDIDATURE_RELANCE_FAVO": (
        "Confirm your application to {{ formation }}",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "You have received a favourable opinion for the programme “{{ formation }}”. "
        "Confirm your application or withdraw before {{ date_confirmation }}." + SIGNATURE_EN),
    "CANDIDATURE_RELANCE_TRANSMISSION": (
        "Your application to {{ formation }} has not been submitted",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "Your application to the programme “{{ formation }}” has not been submitted yet. "
        "Submit it before {{ date_retour }}: an application file that has not been "
        "submitted does not count as an application." + SIGNATURE_EN),
    "STATUT_AT": (
        "Your application file for {{ formation }} is pending",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "The status of your application file for the programme “{{ formation }}” is: Pending."
        + SIGNATURE_EN),
    "STATUT_RE": (
        "Your application file for {{ formation }} has been received",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "Your application file for the programme “{{ formation }}” has been received."
        + SIGNATURE_EN),
    "STATUT_IN": (
        "Your application file for {{ formation }} is incomplete",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "Your application file for the programme “{{ formation }}” is incomplete. Complete it "
        "and submit it again before {{ date_retour }}." + SIGNATURE_EN),
    "STATUT_CO": (
        "Your application file for {{ formation }} is complete",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "Your application file for the programme “{{ formation }}” is complete." + SIGNATURE_EN),
    "TYPE_TRAIT_AD": (
        "Your application to {{ formation }}: direct admission",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "Your application to the programme “{{ formation }}” is a direct admission."
        + SIGNATURE_EN),
    "TYPE_TRAIT_AC": (
        "Your application to {{ formation }}: selective admission",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "Your application to the programme “{{ formation }}” will be examined by the "
        "committee." + SIGNATURE_EN),
    "TYPE_TRAIT_ATT": (
        "Your application to {{ formation }}: processing pending",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "The processing type of your application to the programme “{{ formation }}” is "
        "pending." + SIGNATURE_EN),
    "AVIS_FAVORABLE": (
        "Decision on your application to {{ formation }}",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "The committee has given a favourable opinion on your application to the "
        "programme “{{ formation }}”. Confirm your application or withdraw before "
        "{{ date_confirmation }}.{% if commentaire %}\n\n{{ commentaire }}{% endif %}"
        + SIGNATURE_EN),
    "AVIS_DEFAVORABLE": (
        "Decision on your application to {{ formation }}",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "The committee has given an unfavourable opinion on your application to "
        "the programme “{{ formation }}”.\nReason: {{ motivation }}"
        "{% if commentaire %}\n\n{{ commentaire }}{% endif %}" + SIGNATURE_EN),
    "AVIS_LISTE_ATT": (
        "Decision on your application to {{ formation }}",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "Your application to the programme “{{ formation }}” has been placed on hold."
        + SIGNATURE_EN),
    "AVIS_LISTE_COMP": (
        "Decision on your application to {{ formation }}",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "Your application to the programme “{{ formation }}” has been placed on the "
        "waiting list, at rank {{ rang }}." + SIGNATURE_EN),
    "AVIS_PRESELECTION": (
        "Pre-selection for the programme {{ formation }}",
        "Hello {{ prenom }} {{ nom }},\n\n"
        "You have been pre-selected for the programme “{{ formation }}”. Test on "
        "{{ preselection_date }} at {{ preselection_heure }}, place: {{ preselection_lieu }}."
        + SIGNATURE_EN),
    "COMMISSION_ALERT_TRANSMISSION": (
        "[eCandidat] File submitted: {{ candidat }} — {{ formation }}",
        "The applicant {{ candidat }} (file no. {{ numero_dossier }}) has submitted their "
        "application to the programme “{{ formation }}”." + SIGNATURE_EN),
    "COMMISSION_ALERT_ANNULATION": (
        "[eCandidat] Application cancelled: {{ candidat }} — {{ formation }}",
        "The applicant {{ candidat }} (file no. {{ numero_dossier }}) has cancelled their "
        "application to the programme “{{ formation }}”." + SIGNATURE_EN),
    "COMMISSION_ALERT_DESISTEMENT": (
        "[eCandidat] Withdrawal: {{ candidat }} — {{ formation }}",
        "The applicant {{ candidat }} (file no. {{ numero_dossier }}) has withdrawn from the "
        "programme “{{ formation }}”."
        "{% if motif_desistement %}\nReason given: {{ motif_desistement }}{% endif %}"
        + SIGNATURE_EN),
    "COMMISSION_ALERT_LISTE_PRINC": (
        "[eCandidat] Waiting list: {{ candidat }} — {{ formation }}",
        "The applicant {{ candidat }} (file no. {{ numero_dossier }}) moves from the "
        "waiting list to the main list of the programme “{{ formation }}”."
        + SIGNATURE_EN),
}


def default_template(code, langue="fr"):
    """(sujet, corps) of the default template of `code` in `langue` (French when that
    language has none)."""
    if langue == "en" and code in ENGLISH_TEMPLATES:
        return ENGLISH_TEMPLATES[code]
    _, sujet, corps = DEFAULT_TEMPLATES[code]
    return sujet, corps

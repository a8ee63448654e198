"""Codes of SPEC §3 with the labels shown to users (exactly so)."""
from ecandidat.i18n import lazy_gettext as _l


class Codes:
    """A closed set of codes with their labels; iterable as form choices."""

    def __init__(self, **labels):
        self.labels = labels
        for code in labels:
            setattr(self, code, code)

    def label(self, code):
        return self.labels.get(code, code or "")

    def choices(self):
        return [(code, label) for code, label in self.labels.items()]

    def __contains__(self, code):
        return code in self.labels

    def __iter__(self):
        return iter(self.labels)


STATUT_DOSSIER = Codes(AT=_l("En attente"), RE=_l("Réceptionné"),
                       CO=_l("Complet"), IN=_l("Incomplet"))

STATUT_PIECE = Codes(AT=_l("En attente"), TR=_l("Transmise"), VA=_l("Validée"),
                     RE=_l("Refusée"), NC=_l("Non concerné"))

TYPE_TRAITEMENT = Codes(AC=_l("Accès contrôlé"), AD=_l("Accès direct"),
                        AT=_l("En attente"))
# A formation only ever carries a final type of treatment.
TYPE_TRAITEMENT_FORMATION = Codes(AC=_l("Accès contrôlé"), AD=_l("Accès direct"))

TYPE_AVIS = Codes(FA=_l("Favorable"), DE=_l("Défavorable"),
                  LC=_l("Liste complémentaire"), LA=_l("Liste d'attente"),
                  PR=_l("Présélection"))
AVIS_EN_ATTENTE = _l("En attente")  # shown while no validated avis exists

CONFIRMATION = Codes(CONFIRME=_l("Confirmée"), DESISTE=_l("Désistée"))

CURSUS_OBTENU = Codes(O=_l("Obtenu"), N=_l("Non obtenu"), E=_l("En cours"))

CIVILITE = Codes(**{"M.": _l("M."), "Mme": _l("Mme")})

TYPE_QUESTION = Codes(B=_l("Oui/Non"), S=_l("Texte"), C=_l("Choix"))

MODE_CANDIDATURE = Codes(DEMAT=_l("Dossier dématérialisé"), PAPIER=_l("Dossier papier"))

ROLE = Codes(admin=_l("Administrateur"), gestionnaire=_l("Gestionnaire de centre"),
             commission=_l("Membre de commission"))

MAIL_CODES = (
    "CPT_MIN_CREATE", "CPT_MIN_MDP_OUBLIE", "CPT_MIN_LIEN_VALID_OUBLIE", "CPT_MIN_MOD_MAIL",
    "CPT_MIN_SUPPRESSION",
    "CANDIDATURE", "CANDIDATURE_ANNULATION", "CANDIDATURE_CONFIRM", "CANDIDATURE_DESIST",
    "CANDIDATURE_DESIST_AUTO", "CANDIDATURE_RELANCE_FAVO", "CANDIDATURE_RELANCE_TRANSMISSION",
    "STATUT_AT", "STATUT_RE", "STATUT_IN", "STATUT_CO",
    "TYPE_TRAIT_AD", "TYPE_TRAIT_AC", "TYPE_TRAIT_ATT",
    "AVIS_FAVORABLE", "AVIS_DEFAVORABLE", "AVIS_LISTE_ATT", "AVIS_LISTE_COMP", "AVIS_PRESELECTION",
    "COMMISSION_ALERT_TRANSMISSION", "COMMISSION_ALERT_ANNULATION",
    "COMMISSION_ALERT_DESISTEMENT", "COMMISSION_ALERT_LISTE_PRINC",
)

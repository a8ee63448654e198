"""All models, importable from one place; ALL_MODELS is in dependency order."""
from ecandidat.models import (accounts, application, audit, calendar, candidate, catalog, jobs,
                              mail, referential)
from ecandidat.models.accounts import CompteCandidat, User
from ecandidat.models.application import (Avis, Candidature, CandidatureTag, PieceCandidat,
                                          ReponseQuestion)
from ecandidat.models.audit import AuditLog
from ecandidat.models.calendar import AbonnementCalendrier
from ecandidat.models.candidate import (Candidat, CandidatBac, CandidatBacSpecialite,
                                        CursusExterne, CursusInterne, ExperiencePro, Stage)
from ecandidat.models.catalog import (Adresse, Campagne, Centre, Commission, CommissionMembre,
                                      Formation, FormationDateError, GestionnaireCentre,
                                      GestionnaireCommission,
                                      MotivationAvis, PieceJustificative, Question,
                                      StatutDossierParam, Tag, TypeDecision, TypeDiplome)
from ecandidat.models.jobs import JobRun
from ecandidat.models.mail import MailTemplate, OutboxMail
from ecandidat.models.referential import (BacMention, BacSerie, BacSpecialite, Commune,
                                          CommuneCodePostal, CursusType, Departement,
                                          Etablissement, Pays)

ALL_MODELS = (referential.MODELS + accounts.MODELS + catalog.MODELS + candidate.MODELS
              + application.MODELS + mail.MODELS + audit.MODELS + jobs.MODELS
              + calendar.MODELS)

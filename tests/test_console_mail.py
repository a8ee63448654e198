"""Mail templates edited in the console: checked when saved (syntax, variables
of the code), previewed with sample values, tied to their code."""
import re

import pytest

from ecandidat.mail import ensure_templates, template_for
from ecandidat.mail_defaults import DEFAULT_TEMPLATES
from ecandidat.mail_templates import VARIABLES, check, preview
from ecandidat.models import MailTemplate
from test_console import console_login, flashes, page_text


@pytest.fixture
def template(app, client):
    ensure_templates()
    console_login(client)
    return MailTemplate.get(MailTemplate.code == "CANDIDATURE")


def edit(client, template, **fields):
    data = {"libelle": template.libelle, "sujet": template.sujet, "corps": template.corps,
            "actif": "y"}
    data.update(fields)
    return client.post(f"/admin/mailtemplate/edit/?id={template.id}", data=data)


def field_errors(page, name):
    """The error texts shown under one field."""
    block = page.split(f'name="{name}"', 1)[1].split('class="form-group', 1)[0]
    return " ".join(re.findall(r'class="(?:invalid-feedback|help-block)[^"]*"[^>]*>(.*?)<',
                               block, re.S) + re.findall(r"<li>(.*?)</li>", block))


def test_every_default_template_passes_the_check(app):
    assert set(VARIABLES) == set(DEFAULT_TEMPLATES)
    for code, (_, sujet, corps) in DEFAULT_TEMPLATES.items():
        assert check(code, sujet, corps) == {}, code


from test_decision import lc_world  # noqa: E402,F401


def test_the_variables_of_a_code_are_those_the_workflow_passes(app, make_compte, monkeypatch):
    """The workflow's mails are queued with exactly the declared variables."""
    from ecandidat import mail, workflow
    from ecandidat.workflow import engine
    from factories import complete_candidat, open_formation
    passed = {}

    def spy(code, to, variables, **options):
        passed[code] = set(variables)
        return mail.queue_mail(code, to, variables, **options)
    monkeypatch.setattr(engine, "queue_mail", spy)
    compte, _ = make_compte()
    candidat = complete_candidat(compte)
    actor = workflow.Actor.candidat(candidat)
    candidature = workflow.candidater(actor, candidat, open_formation())
    workflow.annuler(actor, candidature)
    assert {"CANDIDATURE", "CANDIDATURE_ANNULATION"} <= set(passed)
    for code, names in passed.items():
        assert names == set(VARIABLES[code]), code


def test_the_decision_mails_get_their_declared_variables(lc_world, monkeypatch):
    """Confirmation, désistement (and its alert), promotion, automatic désistement and
    both reminders: queued with exactly the variables their templates may use."""
    import datetime
    from ecandidat import clock, mail
    from ecandidat.workflow import decision, engine
    from test_decision import candidate_of, decided, received
    passed = {}

    def spy(code, to, variables, **options):
        passed[code] = set(variables)
        return mail.queue_mail(code, to, variables, **options)
    monkeypatch.setattr(engine, "queue_mail", spy)
    today = clock.today()
    confirmed = decided(lc_world, "a@example.org")
    decision.confirmer(candidate_of(confirmed), confirmed)
    decided(lc_world, "lc@example.org", "LC", rang=1)
    decision.desister(candidate_of(confirmed), confirmed, motif="Autre choix")
    late = decided(lc_world, "late@example.org")
    decision.relancer_favorable(late, today + datetime.timedelta(days=39))
    decision.desister_auto(late, today + datetime.timedelta(days=41))
    draft = received(lc_world, "draft@example.org")
    from ecandidat.models import Candidature
    Candidature.update(statut="AT").where(Candidature.id == draft.id).execute()
    decision.relancer_transmission(Candidature.get_by_id(draft.id),
                                   today + datetime.timedelta(days=28))
    assert {"CANDIDATURE_CONFIRM", "CANDIDATURE_DESIST", "COMMISSION_ALERT_DESISTEMENT",
            "AVIS_FAVORABLE", "COMMISSION_ALERT_LISTE_PRINC", "CANDIDATURE_RELANCE_FAVO",
            "CANDIDATURE_DESIST_AUTO", "CANDIDATURE_RELANCE_TRANSMISSION"} <= set(passed)
    for code, names in passed.items():
        assert names >= set(VARIABLES[code]), code


def test_an_unknown_variable_is_refused_with_its_name(app, client, template):
    response = edit(client, template, corps="Bonjour {{ prenom }}, votre {{ moyenne }}.")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "moyenne" in field_errors(page, "corps")
    assert "Variable inconnue" in flashes(page)
    assert MailTemplate.get_by_id(template.id).corps == template.corps


def test_a_syntax_error_is_refused(app, client, template):
    response = edit(client, template, sujet="Votre candidature {{ formation }")
    page = response.get_data(as_text=True)
    assert "Erreur de syntaxe ligne 1" in field_errors(page, "sujet")
    assert MailTemplate.get_by_id(template.id).sujet == template.sujet


def test_unsafe_expressions_are_refused(app, client, template):
    response = edit(client, template, corps="{{ nom.__class__.__mro__ }}")
    assert "ne peut pas être rendu" in flashes(response.get_data(as_text=True))


def test_a_valid_template_is_saved_and_sent_so(app, client, template):
    response = edit(client, template, sujet="Candidature : {{ formation }}",
                    corps="Bonjour {{ prenom }} {{ nom }} ({{ numero_dossier }}).")
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    assert template_for("CANDIDATURE") == ("Candidature : {{ formation }}",
                                           "Bonjour {{ prenom }} {{ nom }} ({{ numero_dossier }}).")


def test_the_edit_page_previews_with_sample_values(app, client, template):
    page = page_text(client, f"/admin/mailtemplate/edit/?id={template.id}")
    subject, _ = preview("CANDIDATURE", template.sujet, template.corps)
    assert "Aperçu avec des valeurs d'exemple" in page and subject in page
    assert "{{ date_retour }}" in page  # the list of variables
    response = edit(client, template, corps="Essai pour {{ prenom }}", _preview="Prévisualiser")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Essai pour Camille" in page
    assert MailTemplate.get_by_id(template.id).corps == template.corps  # not saved


def test_the_code_is_not_editable_and_templates_are_not_created_or_deleted(app, client,
                                                                            template):
    page = page_text(client, f"/admin/mailtemplate/edit/?id={template.id}")
    assert 'name="code"' not in page
    edit(client, template, code="AUTRE")
    assert MailTemplate.get_by_id(template.id).code == "CANDIDATURE"
    count = MailTemplate.select().count()
    client.post("/admin/mailtemplate/new/", data={"code": "X", "libelle": "x", "sujet": "x",
                                                  "corps": "x"})
    client.post("/admin/mailtemplate/delete/", data={"id": template.id})
    assert MailTemplate.select().count() == count


def test_the_preview_renders_on_the_latest_candidature_when_there_is_one(app, client,
                                                                          template, make_compte):
    from ecandidat import workflow
    from factories import complete_candidat, open_formation
    compte, _ = make_compte(email="vrai@example.org", nom="VRAI", prenom="Lou")
    candidat = complete_candidat(compte)
    formation = open_formation("M1AES")
    workflow.candidater(workflow.Actor.candidat(candidat), candidat, formation)
    page = page_text(client, f"/admin/mailtemplate/edit/?id={template.id}")
    assert f"Aperçu sur la candidature du dossier {compte.numero_dossier}" in page
    assert "Formation M1AES" in page and "Lou" in page
    # A decision mail needs an avis: without one, sample values.
    ensure_templates()
    favorable = MailTemplate.get(MailTemplate.code == "AVIS_FAVORABLE")
    assert "Aperçu avec des valeurs d'exemple" in page_text(
        client, f"/admin/mailtemplate/edit/?id={favorable.id}")

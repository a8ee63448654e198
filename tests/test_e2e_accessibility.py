"""Every candidate page and every console page, at 1280 and 320 px, in a real browser:
0 axe-core violation of the WCAG 2.1 A/AA rules, no horizontal scrolling at 320 px, and
on a phone the main menu folded behind a button that says whether it is open.

The pages come from the app's url_map: each GET endpoint is visited (with the demo data
plus what the demo lacks, so that lists and forms have real content) or excluded below
with its reason; a new page that is neither fails the test. The main forms are also
checked once submitted with errors (the messages next to the fields)."""
import pathlib
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import url_for
from flask_admin.model import BaseModelView
from flask_login import login_user

from ecandidat import accounts, clock, workflow
from ecandidat.demo import _fill, _transmise, create_demo
from ecandidat.mail import ensure_templates
from ecandidat.models import (Candidat, Candidature, CompteCandidat, CursusExterne,
                              CursusInterne, ExperiencePro, Formation, Stage, User)
from ecandidat.security import hash_password
from views.admin.candidature_actions import ACTIONS

AXE = pathlib.Path(__file__).parent / "vendor" / "axe.min.js"
WIDTHS = (1280, 320)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                          resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(
    n => ({target: n.target.join(" "), summary: n.failureSummary}))}));
}"""
# At 320 px: the page fits the screen, and the main menu is folded behind its button.
PHONE_LAYOUT = """() => {
  const problems = [];
  const width = document.documentElement.scrollWidth;
  if (width > window.innerWidth) {
    // Name the outermost elements that stick out, to say where to look.
    const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
      + [...e.classList].map(c => "." + c).join("");
    const wide = [...document.body.querySelectorAll("*")].filter(
      e => e.getBoundingClientRect().right > window.innerWidth + 1
        && !(e.parentElement.getBoundingClientRect().right > window.innerWidth + 1));
    problems.push(`défilement horizontal : ${width} px de large pour ${window.innerWidth} px `
                  + `(dépassent : ${wide.slice(0, 4).map(name).join(", ")})`);
  }
  const toggle = document.querySelector("[data-menu-toggle], .navbar-toggler");
  if (document.querySelector("nav") && !toggle) {
    problems.push("pas de bouton de menu");
  } else if (toggle) {
    const menu = document.getElementById(toggle.getAttribute("aria-controls"));
    if (toggle.getAttribute("aria-expanded") !== "false") {
      problems.push(`bouton de menu : aria-expanded=${toggle.getAttribute("aria-expanded")}`);
    }
    if (!menu) problems.push("le bouton de menu ne désigne aucun menu (aria-controls)");
    else if (menu.offsetParent !== null || menu.getClientRects().length) {
      problems.push("le menu est ouvert au chargement");
    }
    if (!toggle.offsetParent) problems.push("le bouton de menu est caché");
  }
  return problems;
}"""
ERROR_SHOWN = (".field-error, .error-summary, .invalid-feedback, .console-field-error, "
               ".flash-error, .alert-danger, [aria-invalid=true]")

# GET endpoints no page check applies to, and why. Patterns: an exact endpoint, or
# ".name" for that endpoint name in every console view.
EXCLUDED = {
    "static": "fichiers statiques (CSS, JS, images)",
    "admin.static": "fichiers statiques de Flask-Admin",
    "api.bac_mentions": "JSON des listes dépendantes (pas une page)",
    "api.bac_series": "JSON des listes dépendantes (pas une page)",
    "api.bac_specialites": "JSON des listes dépendantes (pas une page)",
    "api.communes": "JSON des listes dépendantes (pas une page)",
    "api.departements": "JSON des listes dépendantes (pas une page)",
    "api.etablissements": "JSON des listes dépendantes (pas une page)",
    ".ajax_lookup": "JSON des listes à recherche de Flask-Admin (pas une page)",
    ".export": "téléchargement CSV/XLSX (pas une page)",
    "candidatures.dossier": "PDF (tests/test_pdf.py)",
    "candidatures.lettre": "PDF (tests/test_letters.py)",
    "candidatures.fichier": "fichier déposé, servi tel quel",
    "candidatures.modele": "fichier modèle d'une pièce, servi tel quel",
    "candidature.fichier_view": "fichier déposé, servi tel quel",
    "candidature.lettre_view": "PDF (tests/test_letters.py)",
    "commission.signature_view": "image de signature, servie telle quelle",
    "piecejustificative.modele_view": "fichier modèle d'une pièce, servi tel quel",
    "sso.candidate_start": "redirection vers le fournisseur d'identité (tests/test_sso.py)",
    "sso.candidate_callback": "retour du fournisseur d'identité, redirige (tests/test_sso.py)",
    "donnees.candidature_ics": "calendrier .ics d'une candidature (tests/test_calendar.py)",
    "donnees.feed": "flux .ics de l'abonnement, sans session (tests/test_calendar.py)",
    "admin.sso_login": "redirection vers le fournisseur d'identité (tests/test_sso.py)",
    "admin.sso_callback": "retour du fournisseur d'identité, redirige (tests/test_sso.py)",
}


@dataclass
class Visit:
    who: str              # the browser state: anonyme, candidat, nouveau, admin, membre
    url: str
    endpoint: str
    status: int = 200
    lands_on: str = None  # a redirecting endpoint: the path it must end on
    form: str = None      # selector of a form to submit with errors afterwards
    only_width: int = None  # a page that can be opened once: the width that opens it


@dataclass
class Plan:
    visits: list = field(default_factory=list)
    excluded: dict = field(default_factory=dict)  # endpoint → reason

    def add(self, who, endpoint, status=200, lands_on=None, form=None, only_width=None,
            **values):
        self.visits.append(Visit(who, url_for(endpoint, **values), endpoint, status,
                                 lands_on, form, only_width))


PASSWORD = "quatre chevaux bleus dans le pré"


def build_world():
    """The demo, plus a candidate with every kind of entry and candidatures in three
    states (transmitted with a published decision, transmitted, draft ready to be
    transmitted), and a candidate with an empty file (the editable forms)."""
    report = create_demo()
    ensure_templates()
    users = {role: email for email, role, _password in report.accounts}
    for email in users.values():
        User.update(password_hash=hash_password(PASSWORD)).where(User.email == email).execute()
    CompteCandidat.update(password_hash=hash_password(PASSWORD)).execute()
    nathan = Candidat.get(Candidat.compte == CompteCandidat.get(
        CompteCandidat.email == "nathan.durand@example.org"))
    me = workflow.Actor.candidat(nathan)
    formations = {f.code: f for f in Formation.select()}
    transmise = workflow.candidater(me, nathan, formations["M2DM"])
    _transmise(None, nathan, transmise, clock.today())
    brouillon = workflow.candidater(me, nathan, formations["M1PSY"])
    _fill(nathan, brouillon, clock.today())
    annee = clock.today().year
    CursusInterne.create(candidat=nathan, annee=annee - 1, code_etape="L3AES",
                         libelle="Licence 3 AES", note="14,2", bareme="20", mention="Bien",
                         resultat="Admis")
    CursusExterne.create(candidat=nathan, annee=annee - 3, libelle="BTS Comptabilité",
                         etablissement_libelle="Lycée Victor Hugo", niveau="BAC+2",
                         obtenu="O", mention="Assez bien")
    Stage.create(candidat=nathan, annee=annee - 2, duree="2 mois", heures_semaine=35,
                 employeur="Mairie de Poitiers", descriptif="Gestion des marchés publics.")
    ExperiencePro.create(candidat=nathan, annee=annee - 1, intitule="Assistant comptable",
                         duree="6 mois", employeur="Cabinet Martin",
                         descriptif="Saisie et rapprochements bancaires.")
    nouveau = CompteCandidat.create(numero_dossier="N0000001", nom="NOUVEAU", prenom="Alix",
                                    email="alix.nouveau@example.org", valide=True,
                                    password_hash=hash_password(PASSWORD))
    return users, nathan, nouveau, {"favorable": Candidature.get(
        (Candidature.candidat == nathan) & (Candidature.formation == formations["M1AES"])),
        "transmise": transmise, "brouillon": brouillon}


def build_plan(app, users, nathan, candidatures):
    plan = Plan()
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods]
    for rule in rules:
        reason = EXCLUDED.get(rule.endpoint) or EXCLUDED.get("." + rule.endpoint.split(".")[-1])
        if reason:
            plan.excluded[rule.endpoint] = reason
    aes = candidatures["favorable"].formation
    reset_token = accounts.request_password_reset("lea.moreau@example.org")
    validation_tokens = {}
    for width in WIDTHS:
        compte = accounts.create_account("Petit", "Jeanne", f"jeanne.petit.{width}@example.org",
                                         "sept lutins verts sous le chêne")
        validation_tokens[width] = accounts._issue_validation(compte, "CPT_MIN_CREATE",
                                                              clock.now())
    with app.test_request_context():
        # Public pages, signed out
        for endpoint in ("main.index", "main.assistance", "catalog.offre"):
            plan.add("anonyme", endpoint)
        plan.add("anonyme", "catalog.formation", formation_id=aes.id)
        plan.add("anonyme", "auth.login", form="main form")
        plan.add("anonyme", "auth.register", form="main form")
        plan.add("anonyme", "auth.forgot", form="main form")
        plan.add("anonyme", "auth.lost_activation", form="main form")
        plan.add("anonyme", "auth.reset", token=reset_token, form="main form")
        # A validation link works once: each width opens its own.
        for width, token in validation_tokens.items():
            plan.add("anonyme", "auth.validate", token=token, lands_on=url_for("auth.login"),
                     only_width=width)
        plan.visits.append(Visit("anonyme", "/page-qui-n-existe-pas", "404", status=404))
        plan.add("anonyme", "admin.login", form="form:not(.language-switch)")

        # The candidate with a full file and candidatures in several states
        for endpoint in ("main.index", "catalog.offre", "profile.summary",
                         "profile.infos_perso", "profile.adresse", "profile.bac",
                         "profile.cursus_interne", "profile.cursus_externe", "profile.stages",
                         "profile.experiences", "candidatures.liste"):
            plan.add("candidat", endpoint)
        plan.add("candidat", "catalog.formation", formation_id=aes.id)
        plan.add("candidat", "auth.change_email", form="main form")
        plan.add("candidat", "donnees.subscription")
        plan.add("candidat", "donnees.delete_account")  # refused: a candidature was transmitted
        entries = {"cursus_externe": nathan.cursus_externes[0],
                   "stages": nathan.stages[0], "experiences": nathan.experiences[0]}
        for kind, entry in entries.items():
            plan.add("candidat", f"profile.{kind}_new", form="main form")
            plan.add("candidat", f"profile.{kind}_edit", entry_id=entry.id)
            plan.add("candidat", f"profile.{kind}_delete", entry_id=entry.id)
        for candidature in candidatures.values():
            plan.add("candidat", "candidatures.detail", candidature_id=candidature.id)
        favorable, brouillon = candidatures["favorable"], candidatures["brouillon"]
        plan.add("candidat", "candidatures.confirmer", candidature_id=favorable.id)
        plan.add("candidat", "candidatures.desister", candidature_id=favorable.id)
        plan.add("candidat", "candidatures.transmettre", candidature_id=brouillon.id)
        plan.add("candidat", "candidatures.annuler", candidature_id=brouillon.id)

        # A candidate whose file is empty: the forms as first seen, then with errors
        plan.add("nouveau", "profile.summary")
        for endpoint in ("profile.infos_perso", "profile.adresse", "profile.bac"):
            plan.add("nouveau", endpoint, form="main form")
        # Nothing transmitted: the confirmation form (sent empty: refused, nothing deleted)
        plan.add("nouveau", "donnees.delete_account", form="main form")

        # The console, as administrator: every view's pages it offers
        admin = User.get(User.email == users["admin"])
        login_user(admin)
        flask_admin = app.extensions["admin"][0]
        for view in flask_admin._views:
            if not isinstance(view, BaseModelView):
                continue
            name = view.endpoint
            plan.add("admin", f"{name}.index_view")
            if view.can_create:
                plan.add("admin", f"{name}.create_view", form="form.admin-form")
            else:
                plan.excluded[f"{name}.create_view"] = "création désactivée pour cette vue"
            row = view.model.select().order_by(view.model.id).first()
            assert row is not None, f"aucune ligne pour la console {name}"
            if view.can_edit:
                plan.add("admin", f"{name}.edit_view", id=row.id)
            else:
                plan.excluded[f"{name}.edit_view"] = "modification désactivée pour cette vue"
            if view.can_view_details:
                plan.add("admin", f"{name}.details_view", id=row.id)
            else:
                plan.excluded[f"{name}.details_view"] = "pas de page de détails"
        for endpoint in ("admin.index", "tableau_de_bord.index",
                         "statutscommission.statuts_view", "candidature.export_view"):
            plan.add("admin", endpoint)
        received = [c.id for c in Candidature.select().where(Candidature.statut != "AT")
                    .order_by(Candidature.id).limit(2)]
        for slug in ACTIONS:
            plan.add("admin", "candidature.action_page", slug=slug,
                     ids=",".join(map(str, received)))
        plan.add("admin", "candidature.details_view", id=favorable.id)
        plan.add("admin", "user.create_view", form="form.admin-form")  # errors in the form

        # A membre de commission sees the candidatures list of their commissions
        plan.add("membre", "candidature.index_view")
        plan.add("membre", "candidature.details_view", id=favorable.id)
    visited = {visit.endpoint for visit in plan.visits}
    missing = sorted({r.endpoint for r in rules} - visited - set(plan.excluded))
    assert not missing, ("pages jamais vérifiées ni exclues (avec leur raison) dans "
                         f"tests/test_e2e_accessibility.py : {missing}")
    return plan


def signed_in_state(browser, base_url, who, email):
    """The cookies of a session opened through the real sign-in form (CSRF on)."""
    context = browser.new_context(base_url=base_url, locale="fr-FR")
    page = context.new_page()
    if who in ("admin", "membre"):
        page.goto("/admin/login")
        page.get_by_label("Adresse mail").fill(email)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Connexion").click()
        page.wait_for_url("**/admin/")
    else:
        page.goto("/connexion")
        page.get_by_label("Utilisateur").fill(email)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.locator("main").get_by_role("button", name="Connexion").click()
        page.wait_for_url(lambda url: "/connexion" not in url)
    state = context.storage_state()
    context.close()
    return state


def page_problems(page, width):
    problems = [f"{v['id']} ({v['help']}) : {n['target']} — {n['summary']}"
                for v in page.evaluate(AXE_RUN, WCAG_TAGS) for n in v["nodes"]]
    if width < 600:
        problems += page.evaluate(PHONE_LAYOUT)
    return problems


def check(page, visit, width):
    response = page.goto(visit.url)
    problems = []
    if response.status != visit.status:
        problems.append(f"statut HTTP {response.status} au lieu de {visit.status}")
    landed = urlsplit(page.url).path
    wanted = visit.lands_on or urlsplit(visit.url).path
    if landed != wanted:
        problems.append(f"redirigé vers {landed} au lieu de {wanted}")
    problems += page_problems(page, width)
    if visit.form:
        problems += [f"[formulaire envoyé avec des erreurs] {p}"
                     for p in submit_with_errors(page, visit.form, width)]
    return problems


def submit_with_errors(page, selector, width):
    """Empty the form's fields (the browser's own checks off: the server's messages are
    what is checked), send it, check the page that comes back with its messages."""
    form = page.locator(selector).first
    form.evaluate("""form => {
      form.noValidate = true;
      for (const field of form.elements) {
        if (field.type === "hidden" || field.type === "submit" || field.type === "button"
            || field.type === "checkbox" || field.type === "radio") continue;
        if (field.tagName === "SELECT") field.selectedIndex = 0; else field.value = "";
      }
    }""")
    with page.expect_navigation():
        form.evaluate("form => form.requestSubmit()")
    if not page.locator(ERROR_SHOWN).count():
        return ["aucun message d'erreur affiché"]
    return page_problems(page, width)


def test_every_page_at_1280_and_320_px(app, browser, live_server):
    app.config["WTF_CSRF_ENABLED"] = True
    started = time.monotonic()
    users, nathan, nouveau, candidatures = build_world()
    plan = build_plan(app, users, nathan, candidatures)
    emails = {"candidat": "nathan.durand@example.org", "nouveau": nouveau.email,
              "admin": users["admin"], "membre": users["commission"]}
    states = {who: signed_in_state(browser, live_server.url, who, email)
              for who, email in emails.items()}
    failures, checked = [], 0
    for width in WIDTHS:
        for who in ("anonyme", "candidat", "nouveau", "admin", "membre"):
            context = browser.new_context(
                base_url=live_server.url, locale="fr-FR", storage_state=states.get(who),
                viewport={"width": width, "height": 900 if width > 600 else 640})
            context.set_default_timeout(10_000)
            # Outside the page's CSP (script-src 'self'), before the page's own scripts.
            context.add_init_script(path=str(AXE))
            page = context.new_page()
            page.on("dialog", lambda dialog: dialog.dismiss())
            for visit in (v for v in plan.visits
                          if v.who == who and v.only_width in (None, width)):
                problems = check(page, visit, width)
                checked += 1
                if problems:
                    failures.append(f"\n{visit.url} ({visit.endpoint}, {who}, {width} px) :"
                                    + "".join(f"\n  - {p}" for p in problems))
            context.close()
    print(f"\n{checked} pages × largeurs vérifiées en {time.monotonic() - started:.0f} s ; "
          f"exclues : {len(plan.excluded)}")
    assert not failures, "".join(failures)

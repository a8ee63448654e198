"""Flask CLI commands: `flask --app app db|referential|demo|users|mail|jobs …`."""
import sys

import click
from flask.cli import AppGroup

from ecandidat import db

db_cli = AppGroup("db", help="Schéma de la base de données.")
referential_cli = AppGroup("referential", help="Données de référence.")
users_cli = AppGroup("users", help="Utilisateurs de la console.")


mail_cli = AppGroup("mail", help="Boîte d'envoi des mails.")
jobs_cli = AppGroup("jobs", help="Tâches planifiées (à lancer par cron).")


@db_cli.command("upgrade")
def db_upgrade():
    """Crée ou met à jour le schéma, complète les modèles de mail (idempotent)."""
    from ecandidat.mail import ensure_templates

    applied = db.upgrade()
    for name in applied:
        click.echo(f"appliquée : {name}")
    with db.database.connection_context():
        added = ensure_templates()
    if added:
        click.echo(f"modèles de mail ajoutés : {added}")
    if not applied and not added:
        click.echo("Schéma à jour, rien à faire.")


@mail_cli.command("send")
def mail_send():
    """Envoie maintenant les mails en attente (et réessaie ceux en échec)."""
    from ecandidat.mail import send_pending

    with db.database.connection_context():
        sent, failed = send_pending()
    click.echo(f"envoyés : {sent}, en échec (réessayés plus tard) : {failed}")
    if failed:
        raise SystemExit(1)


@referential_cli.command("load")
def referential_load():
    """Charge pays, départements, communes, lycées, séries de bac (idempotent)."""
    from ecandidat.referential.loader import load_referential

    with db.database.connection_context():
        counts = load_referential(progress=_progressbar)
    for name, count in counts.items():
        click.echo(f"{name} : {count}")


@referential_cli.command("import-etablissements")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def referential_import_etablissements(path):
    """Importe l'annuaire de l'éducation (CSV officiel)."""
    from ecandidat.referential.etablissements import EtablissementFileError, import_etablissements

    try:
        with db.database.connection_context():
            count = import_etablissements(path, progress=_progressbar)
    except EtablissementFileError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"établissements importés : {count}")


def _on_terminal():
    return sys.stdout.isatty()


def _progressbar(iterable, length, label):
    return click.progressbar(iterable, length=length, label=label)


@click.command("demo")
@click.option("--candidates", "candidatures", type=click.IntRange(min=1), default=None,
              help="Ajoute ce nombre de candidatures (500 formations de plus, candidats "
                   "…@volume.example.org) pour mesurer à l'échelle ; une seule fois par base.")
def demo_command(candidatures):
    """Crée la campagne, l'offre du guide et un compte par rôle (idempotent)."""
    from ecandidat.demo import create_demo

    with db.database.connection_context():
        report = create_demo()
    click.echo(f"Campagne : {report.campagne}")
    click.echo(f"Formations : {report.formations}")
    existing = False
    for email, role, password in report.accounts:
        if password:
            click.echo(f"Compte {role} : {email} / mot de passe : {password}")
        else:
            existing = True
            click.echo(f"Compte {role} : {email} (existant, mot de passe inchangé)")
    if report.candidats:
        click.echo(f"Candidats de démonstration créés : {report.candidats} (adresses "
                   f"…@example.org, mot de passe commun : {report.candidats_password})")
    if existing:
        click.echo("Mot de passe perdu ? Pour en choisir un nouveau (généré et affiché si "
                   "--password est omis) :\n"
                   "  flask --app app users set-password --email ADRESSE [--password MOT_DE_PASSE]")
    if candidatures:
        _demo_volume(candidatures)


def _demo_volume(count):
    from ecandidat.demo import VolumeExists, create_volume

    bar = click.progressbar(length=count, label="Candidatures") if _on_terminal() else None

    def progress(done, total):
        if bar is not None:
            bar.update(done - bar.pos)
    try:
        with db.database.connection_context():
            volume = create_volume(count, progress=progress)
    except VolumeExists as existing:
        raise click.ClickException(
            f"Le volume a déjà été généré dans cette base ({existing.args[0]} candidatures) : "
            "rien n'est ajouté. Pour un autre volume, repartez d'une base vide.") from None
    finally:
        if bar is not None:
            bar.render_finish()
    click.echo(f"Volume : {volume.candidatures} candidatures de {volume.candidats} candidats "
               f"dans {volume.formations} formations de plus, {volume.fichiers} fichiers, "
               f"en {volume.seconds:.0f} s")
    click.echo("Par état : " + ", ".join(f"{state} {n}" for state, n in
                                          sorted(volume.by_state.items())))
    click.echo(f"Candidats du volume : candidat1…candidat{volume.candidats}@volume.example.org, "
               f"mot de passe commun : {volume.password}")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "gestionnaire", "commission"]))
@click.option("--scope", "scope", default=None,
              help="Code du centre (gestionnaire) ou des commissions, séparés par des "
                   "virgules (membre).")
@click.option("--commissions", default=None,
              help="Gestionnaire : limité à ces commissions de son centre (codes séparés par "
                   "des virgules) ; toutes sans cette option.")
@click.option("--lecture-seule", is_flag=True, help="Voit, ne modifie rien.")
@click.option("--president", is_flag=True,
              help="Membre : préside ses commissions (valide leurs avis).")
@click.option("--password", default=None,
              help="Généré et affiché s'il est omis ; au moins 12 caractères, difficile à deviner.")
@click.option("--nom", default="")
@click.option("--prenom", default="")
def users_create(email, role, scope, commissions, lecture_seule, president, password, nom,
                 prenom):
    """Crée un utilisateur de la console."""
    from ecandidat.users import UserError, create_user

    try:
        with db.database.connection_context():
            user, password = create_user(email=email, role=role, scope=scope,
                                         password=password, nom=nom, prenom=prenom,
                                         lecture_seule=lecture_seule, president=president,
                                         commissions=commissions)
    except UserError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Utilisateur créé : {user.email} ({role}) / mot de passe : {password}")


@users_cli.command("set-password")
@click.option("--email", required=True)
@click.option("--password", default=None,
              help="Généré et affiché s'il est omis ; au moins 12 caractères, difficile à deviner.")
def users_set_password(email, password):
    """Choisit (ou génère) le mot de passe d'un utilisateur ; ses sessions se terminent."""
    from ecandidat.users import UserError, set_password

    try:
        with db.database.connection_context():
            user, password = set_password(email, password)
    except UserError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Mot de passe de {user.email} : {password}")


@jobs_cli.command("run")
@click.argument("name", required=False)
def jobs_run(name):
    """Lance la tâche NAME, ou toutes dans l'ordre (voir `jobs list`).

    Une tâche déjà en cours (lancée ailleurs) n'est pas relancée : le message le dit et
    le code de sortie reste 0. Une tâche en échec sort avec le code 1."""
    from ecandidat import jobs

    if name is not None and name not in jobs.JOBS:
        raise click.BadParameter(f"tâche inconnue « {name} » ; tâches : "
                                 f"{', '.join(jobs.NAMES)}", param_hint="NAME")
    # A progress bar by hand on a terminal, plain lines in cron and tests.
    progress = _progressbar if _on_terminal() else None
    failed = False
    with db.database.connection_context():
        for each in ([name] if name else jobs.NAMES):
            outcome = jobs.run_job(each, progress=progress)
            click.echo(outcome.text(), err=outcome.failed)
            failed = failed or outcome.failed
    if failed:
        raise SystemExit(1)


@jobs_cli.command("list")
def jobs_list():
    """Chaque tâche : sa dernière exécution, si elle tourne, son dernier rapport."""
    from ecandidat import jobs

    with db.database.connection_context():
        rows = jobs.status()
    for job, run in rows:
        click.echo(f"{job.name} — {job.label}")
        if run is None or (run.finished_at is None and run.running_since is None):
            click.echo("  jamais lancée")
            continue
        if run.running_since is not None:
            click.echo(f"  en cours depuis le {jobs.format_instant(run.running_since)}")
        if run.finished_at is not None:
            click.echo(f"  dernière exécution : terminée le {jobs.format_instant(run.finished_at)} "
                       f"({run.runs} exécution(s) en tout)")
            click.echo(f"  dernier rapport : {run.last_report or '—'}")
        if run.last_error:
            click.echo(f"  dernière erreur : {run.last_error}")


@click.command("invariants")
@click.option("--grace", default=None, type=click.IntRange(0),
              help="Âge minimal (en secondes) d'un fichier déposé non référencé pour qu'il soit "
                   "signalé (900 par défaut) : un fichier s'écrit avant que la ligne qui le "
                   "référence soit enregistrée. 0 une fois qu'aucun dépôt n'est en cours.")
def invariants_command(grace):
    """Cherche les états impossibles (pièce manquante d'une candidature transmise, candidature
    en double, rang en double sur une liste complémentaire, fichier absent ou orphelin) ;
    les affiche et sort avec le code 1 s'il y en a."""
    import datetime

    from ecandidat.invariants import DEFAULT_GRACE, find_violations

    grace = DEFAULT_GRACE if grace is None else datetime.timedelta(seconds=grace)
    found = 0
    with db.database.connection_context():
        for violation in find_violations(grace=grace):
            found += 1
            click.echo(violation.text())
    if found:
        click.echo(f"États impossibles trouvés : {found}", err=True)
        raise SystemExit(1)
    click.echo("Aucun état impossible.")


def register_cli(app):
    for command in (db_cli, referential_cli, users_cli, mail_cli, jobs_cli, demo_command):
        app.cli.add_command(command)
    app.cli.add_command(invariants_command)

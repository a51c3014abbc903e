"""Command-line tools: `flask --app app <command>`."""
import signal

import click
from flask import current_app

from extensions import db


def init_app(app):
    app.cli.add_command(demo)
    app.cli.add_command(mailsink)
    app.cli.add_command(clock)
    app.cli.add_command(create_staff)
    app.cli.add_command(retention)
    app.cli.add_command(erase_family)


@click.group()
def retention():
    """Retention of data: show or set the periods, run the purge now."""


@retention.command("show")
def retention_show():
    from models.retention import settings

    for kind, label, value, unit in settings():
        click.echo(f"{kind:24} {value:>4} {unit:7} {label}")


@retention.command("set")
@click.argument("kind")
@click.argument("value", type=int)
def retention_set(kind, value):
    from models.retention import set_period

    try:
        set_period(kind, value)
    except ValueError as error:
        raise click.ClickException(f"unknown kind or value out of bounds: {error}") from None
    db.session.commit()


@retention.command("run")
def retention_run():
    """Run the daily purge now and print what it purged."""
    from jobs.retention import run_retention

    for what, count in run_retention().items():
        click.echo(f"{what:28} {count}")


@click.command("erase-family")
@click.argument("family_id", type=int)
@click.confirmation_option(prompt="Effacer cette famille (sa facturation est anonymisée) ?")
def erase_family(family_id):
    """Erase a family on its request; its billing is kept, anonymised."""
    from models import AuditEvent
    from models.db_tools import begin_write
    from models.retention import erase_family as erase

    begin_write()
    report = erase(family_id)
    AuditEvent.record(None, "family.erased", family_id=family_id, **report)
    db.session.commit()
    for what, count in report.items():
        click.echo(f"{what:28} {count}")


@click.command()
@click.option("--summary", is_flag=True, help="Only print the address and the demo logins.")
def demo(summary):
    """Load the demo town (idempotent: run it as often as you like)."""
    import demo as demo_data

    if not summary:
        created = demo_data.load(invoices=True)
        db.session.commit()
        click.echo("Données de démonstration : " + ("chargées." if created else "déjà présentes."))
    click.echo(demo_data.summary(current_app.config["PUBLIC_URL"]))


@click.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=None, type=int, help="Default: MAIL_PORT.")
def mailsink(host, port):
    """Run the development SMTP sink; messages are filed under instance/mail/."""
    import mailsink as sink

    folder = current_app.config["MAIL_SINK_DIR"]
    if not folder:
        raise click.ClickException("The mail sink is for development only (PORTAIL_ENV).")
    port = port or current_app.config["MAIL_PORT"]
    sink.serve(folder, host, port)
    click.echo(f"Boîte mail de développement : smtp://{host}:{port} -> {folder}")
    signal.pause()  # until Ctrl-C or SIGTERM


@click.command()
def clock():
    """Enqueue the periodic sweep every minute (one clock per deployment is enough)."""
    from jobs.clock import run_forever

    run_forever()


@click.command("create-staff")
@click.argument("email")
@click.option("--admin", is_flag=True, help="An admin, who configures the town.")
@click.password_option()
def create_staff(email, admin, password):
    """Create a staff account (agent, or admin with --admin)."""
    from models import User
    from models.clock import utcnow
    from models.passwords import password_problem
    from models.user import ROLE_ADMIN, ROLE_STAFF, normalize_email

    if User.by_email(email) is not None:
        raise click.ClickException("Un compte existe déjà avec cette adresse.")
    if problem := password_problem(password, email):
        raise click.ClickException(f"Mot de passe refusé ({problem}).")
    user = User(email=normalize_email(email), role=ROLE_ADMIN if admin else ROLE_STAFF,
                confirmed_at=utcnow())
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Compte créé : {user.email} ({user.role}).")

"""Portail Famille: the application factory."""
import os

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.orm import configure_mappers
from werkzeug.middleware.proxy_fix import ProxyFix

import cli
import config as settings
import security
from blueprints import common
from blueprints.common import arrival, caching
from blueprints.common.pages import select_locale
from extensions import babel, compress, csrf, db, limiter, login_manager, mail, migrate
from models.clock import start_test_clock
from models.db_tools import begin_immediate


def create_app(config=None):
    """Build the app. `config` overrides what the environment gives (tests use it)."""
    instance_path = os.environ.get("PORTAIL_INSTANCE") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "instance")
    start_test_clock()  # PORTAIL_TEST_TODAY, in the web and worker processes of tests
    app = Flask(__name__, instance_path=instance_path)
    app.config.update(settings.load(app.instance_path))
    if config:
        app.config.update(config)

    if app.config["TRUSTED_PROXIES"]:
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    db.init_app(app)
    _tune_sqlite(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "migrations"))
    csrf.init_app(app)
    mail.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories="translations")
    limiter.init_app(app)
    compress.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    common.init_app(app)
    caching.init_app(app)
    arrival.init_app(app)  # outermost: the first to see a request notes when it came

    _register_blueprints(app)
    # Every model is imported by now: their mappers are set up once, here, rather than
    # by a process's first ORM query (the session's load, in Core, may come first).
    configure_mappers()
    cli.init_app(app)
    return app


def _tune_sqlite(app):
    """SQLite in WAL mode with a busy timeout: readers never block the writer, and a
    writer waits for another instead of failing at once. SQLAlchemy emits BEGIN itself,
    so a transaction that will write can take the lock first (models/db_tools.py)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def set_pragmas(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection):
        # On the raw connection: every request begins a transaction, and SQLAlchemy's
        # statement path costs some forty times the BEGIN itself.
        if connection.get_execution_options().get("sqlite_immediate"):
            begin_immediate(connection.connection.dbapi_connection)
        else:
            connection.connection.dbapi_connection.execute("BEGIN")

    @app.before_request
    def writes_take_the_lock_first():
        # A request that changes something reads then writes: on SQLite its
        # transaction must hold the write lock from the start, or a write committed
        # by another request in between makes it fail ("database is locked"), whatever
        # busy_timeout says. A GET that writes all the same (the audit log of what it
        # showed, a link's one effect, the session's last visit) does it in a new
        # transaction that takes the lock first: begin_write() (AuditEvent.record_shown).
        # A view marked @takes_write_lock_itself reads first, then calls begin_write()
        # around its writes only (the tap): the lock is held for milliseconds, not for
        # the whole request.
        view = app.view_functions.get(request.endpoint)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not getattr(
                view, "takes_write_lock_itself", False):
            db.session.connection(execution_options={"sqlite_immediate": True})


def _register_blueprints(app):
    from blueprints import (
        admin,
        auth,
        billing,
        billing_online,
        dev,
        documents,
        family,
        health,
        home,
        info,
        notifications,
        planning,
    )

    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(planning.bp)
    app.register_blueprint(family.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(billing.bp)
    app.register_blueprint(billing_online.bp)
    app.register_blueprint(billing_online.notify_bp)
    app.register_blueprint(info.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(notifications.public_bp)
    app.register_blueprint(admin.bp)
    if app.config["PORTAIL_ENV"] == "development":
        app.register_blueprint(dev.bp)
    if app.config["PAYMENT_SIMULATOR"]:  # development and tests, never production
        app.register_blueprint(dev.simulator_bp)

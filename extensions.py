"""Flask extensions, created here and bound to the app in create_app()."""
import smtplib

from flask import current_app
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Connection, Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData

# Stable constraint names, so migrations behave the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class TimeoutConnection(Connection):
    """Flask-Mail opens SMTP without a timeout; a hung server must fail fast and be retried.
    Host and port are read from the config at each connection."""

    def configure_host(self):
        config = current_app.config
        smtp_class = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"],
                          timeout=config["MAIL_TIMEOUT"])
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


class TimeoutMail(Mail):
    def connect(self):
        return TimeoutConnection(current_app.extensions["mail"])


# Objects keep their loaded values after a commit: a view that commits, then renders,
# does not reload everything it already has.
db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING),
                session_options={"expire_on_commit": False})
migrate = Migrate(render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
mail = TimeoutMail()
babel = Babel()
compress = Compress()
limiter = Limiter(key_func=get_remote_address, strategy="moving-window")

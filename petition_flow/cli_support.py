"""What every `petition-flow` command shares: the configured database, Chinese failure
lines, the --now instant and the password policy (cli.py and cli_accounts.py both use them,
so they live here rather than in either)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import click

from . import clock, config, paths
from .errors import PetitionFlowError


class Database:
    """Engine and sessions for the configured database (SQLite in the instance folder by default)."""

    def __init__(self, url: str | None = None):
        from .db import make_engine, make_session_factory
        from .instance import secure_folder, secure_sqlite

        self.url = url or config.database_url()
        if self.url.startswith("sqlite:///"):
            folder = Path(self.url.removeprefix("sqlite:///")).parent
            if folder == paths.instance_dir():
                secure_folder(folder)
            folder.mkdir(parents=True, exist_ok=True)
            secure_sqlite(self.url)
        self.engine = make_engine(self.url)
        self.Session = make_session_factory(self.engine)
        # However the command ends (done, refused, failed), its pool is closed with it: an
        # error path must not leave a PostgreSQL connection open behind it.
        ctx = click.get_current_context(silent=True)
        if ctx is not None:
            ctx.call_on_close(self.engine.dispose)

    def require_schema(self) -> None:
        from .migrate import current_revision, head_revision

        if current_revision(self.engine) != head_revision():
            raise click.ClickException(
                "数据库尚未初始化或版本过旧，请先运行 petition-flow init 或 petition-flow db upgrade。"
            )


def _fail(exc: PetitionFlowError) -> None:
    click.echo(exc.message, err=True)
    for key, msg in exc.fields.items():
        click.echo(f"  {key}: {msg}", err=True)
    sys.exit(1)


def _instant(text: str | None):
    if not text:
        return clock.now()
    try:
        return clock.parse_instant(text)
    except ValueError:
        raise click.BadParameter("时间格式应为 YYYY-MM-DDTHH:MM（北京时间）。",
                                 param_hint="--now") from None


@contextmanager
def _database():
    """The configured database, schema and keys checked, its connections closed afterwards."""
    db = Database()
    try:
        db.require_schema()
        _check_keys(db)
        yield db
    finally:
        db.engine.dispose()


def _check_keys(db: Database) -> None:
    """A lost or foreign key file is a clear message at start, never garbage later."""
    from .keys import KeysError
    from .services.datakeys import check_keys

    with db.Session() as session:
        try:
            check_keys(session)
        except KeysError as exc:
            _fail(exc)


def _policy():
    from .services.security import PasswordPolicy

    try:
        return PasswordPolicy.of(config.load_settings())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None

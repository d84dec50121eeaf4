"""The code version stamp: one code for every process of an instance.

``init`` and ``db upgrade`` (every ``migrate.upgrade``) write into the database the version of
the package that ran them together with a fingerprint of its Python code. A web worker
(``create_app``) or a scheduler whose own stamp differs **refuses to start**, with one Chinese
line saying which versions differ and what to do.

Why refuse rather than warn: a web worker and a scheduler on different code compute
deadlines and warnings by different rules (a changed workflow rule, a fixed holiday bug), and
a warning in a log nobody reads lets that run for weeks; a process that will not start is
noticed at once, and the remedy is one command (reinstall the same package everywhere, run
``petition-flow db upgrade``, restart). The fingerprint, not only the version number, is
compared because the drift the stamp is for — gunicorn importing a checkout after a
``git pull`` while the scheduler runs the installed copy — usually keeps the version number.

A database that cannot be read at start (down, not yet initialised) is not refused here: the
pages say the database is unavailable, and ``require_schema`` tells the command line what to run.
"""

from __future__ import annotations

import hashlib
import socket
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from . import __version__, clock
from .models import InstanceMeta

KEY = "code_version"
PACKAGE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def code_version() -> str:
    """``<version>+<fingerprint>`` of this package."""
    return f"{__version__}+{fingerprint(PACKAGE)}"


def fingerprint(package: Path) -> str:
    """A SHA-256 over every .py file of the package (relative path and content): two copies
    of the same code agree wherever they are installed, and any edit shows."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package)
        if "__pycache__" in rel.parts or rel.parts[0] == "_data":
            continue
        digest.update(rel.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Stamp:
    value: str
    written_by: str
    updated_at: datetime


def write_stamp(engine: Engine, now: datetime | None = None, version: str | None = None) -> None:
    """Record this code's stamp (after a migration run)."""
    now = now or clock.now()
    with engine.begin() as conn:
        values = {"value": version or code_version(), "written_by": socket.gethostname()[:128],
                  "updated_at": now}
        found = conn.execute(select(InstanceMeta.key).where(InstanceMeta.key == KEY)).first()
        if found:
            conn.execute(InstanceMeta.__table__.update().where(InstanceMeta.key == KEY)
                         .values(**values))
        else:
            conn.execute(InstanceMeta.__table__.insert().values(key=KEY, **values))


def read_stamp(engine: Engine) -> Stamp | None:
    """The stamp in the database; None when none was written. Database errors propagate."""
    with engine.connect() as conn:
        row = conn.execute(select(InstanceMeta.value, InstanceMeta.written_by,
                                  InstanceMeta.updated_at).where(InstanceMeta.key == KEY)).first()
    return None if row is None else Stamp(row.value, row.written_by, row.updated_at)


def mismatch(stamp: Stamp | None) -> str | None:
    """The Chinese line for a stamp that is not this code's; None when it matches (or is absent)."""
    if stamp is None or stamp.value == code_version():
        return None
    written = stamp.updated_at.astimezone(clock.CHINA_TZ)
    return (f"程序版本不一致：本进程为 {code_version()}，数据库记录的是 {stamp.value}"
            f"（{stamp.written_by} 于 {written:%Y-%m-%d %H:%M} 运行 init 或 db upgrade 时写入）。"
            "网页服务和调度器必须运行同一份已安装的程序：请在每个进程使用的环境中安装同一版本，"
            "运行 petition-flow db upgrade，然后重启全部进程。")


def check_engine(engine: Engine) -> str | None:
    """The mismatch line for ``engine``'s database; None when it matches or cannot be read."""
    try:
        stamp = read_stamp(engine)
    except SQLAlchemyError:
        return None  # unreachable or not migrated yet: said elsewhere, not here
    return mismatch(stamp)

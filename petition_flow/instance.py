"""The instance folder holds the SQLite database (ID numbers, password hashes) and the secret
key: the folder is 0700 and its files 0600, whatever the umask. SQLite creates the -wal and
-shm files with the database file's own permissions, so creating that file 0600 first covers
them; existing files are tightened too."""

from __future__ import annotations

import os
from pathlib import Path

SQLITE_PREFIX = "sqlite:///"


def secure_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if missing; otherwise only set 0600. An existing
    database file is never opened here: closing any descriptor of a file drops every POSIX
    lock this process holds on it, including SQLite's own."""
    if path.exists():
        path.chmod(0o600)
        return
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    path.chmod(0o600)


def secure_sqlite(url: str) -> None:
    """For a SQLite file URL: the file (created if missing) and its -wal/-shm become 0600."""
    if not url.startswith(SQLITE_PREFIX) or url in (SQLITE_PREFIX, SQLITE_PREFIX + ":memory:"):
        return
    path = Path(url.removeprefix(SQLITE_PREFIX).split("?", 1)[0])
    if not path.parent.exists():
        return
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            extra.chmod(0o600)

"""The instance's keys — never in the database (等保 数据保密性; issue 12).

One JSON key file holds the audit MAC key, the blind-index key, the data-encryption keys
(by id, one current) and the Ed25519 key that signs audit checkpoints. Where it is, first
match wins:

- ``PETITION_FLOW_KEYS``: the file's content itself (a secret injected by the platform);
- ``PETITION_FLOW_KEY_FILE``: a path (e.g. a mounted secret or an encrypted volume);
- ``<instance>/keys.json`` (mode 0600), created by ``petition-flow init`` or the upgrade.

Beside it: ``PETITION_FLOW_CHECKPOINTS`` (default ``<instance>/audit-checkpoints.log``) and
the exported public key ``PETITION_FLOW_PUBLIC_KEY_FILE`` (default
``<instance>/audit-public-key.pem``). A running process re-reads the key file when it changes,
so ``petition-flow keys rotate`` needs no restart.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import crypto, paths
from .errors import PetitionFlowError

KEY_FILE = "keys.json"
CHECKPOINT_FILE = "audit-checkpoints.log"
PUBLIC_KEY_FILE = "audit-public-key.pem"


class KeysError(PetitionFlowError):
    """Keys missing, unreadable or not those the database was written with."""

    code = "keys"


def key_file_path() -> Path:
    return Path(os.environ.get("PETITION_FLOW_KEY_FILE") or paths.instance_dir() / KEY_FILE)


def checkpoint_path() -> Path:
    return Path(os.environ.get("PETITION_FLOW_CHECKPOINTS")
                or paths.instance_dir() / CHECKPOINT_FILE)


def public_key_path() -> Path:
    return Path(os.environ.get("PETITION_FLOW_PUBLIC_KEY_FILE")
                or paths.instance_dir() / PUBLIC_KEY_FILE)


def _where() -> str:
    return "环境变量 PETITION_FLOW_KEYS" if os.environ.get("PETITION_FLOW_KEYS") \
        else str(key_file_path())


MISSING = ("找不到密钥（{where}）。数据库中的审计链和信访人信息是用该密钥保护的，没有它无法读取或续写。"
           "请从备份中恢复密钥文件（petition-flow restore --with-keys），或用 PETITION_FLOW_KEY_FILE "
           "指明其位置；切勿重新生成，否则已加密的数据将无法读取。")


@dataclass
class Keyring:
    mac_algorithm: str
    mac_key: str
    index_key: str
    aead: str
    data_keys: dict[str, str]
    current: str
    signing_key: str
    created: str = ""
    source: Path | None = field(default=None, compare=False)

    # --- file form ---------------------------------------------------------------------

    @classmethod
    def generate(cls, *, mac_algorithm: str = "hmac-sha256", aead: str = "aes-256-gcm",
                 created: str = "") -> Keyring:
        return cls(mac_algorithm, crypto.new_key(), crypto.new_key(), aead,
                   {"k1": crypto.new_key(crypto.AEAD_ALGORITHMS[aead])}, "k1",
                   crypto.new_signing_key(), created)

    def as_json(self) -> dict[str, Any]:
        return {"version": 1, "created": self.created,
                "mac": {"algorithm": self.mac_algorithm, "key": self.mac_key},
                "index": {"key": self.index_key},
                "data": {"algorithm": self.aead, "current": self.current, "keys": self.data_keys},
                "signing": {"algorithm": "ed25519", "private": self.signing_key}}

    @classmethod
    def from_json(cls, data: dict[str, Any], source: Path | None = None) -> Keyring:
        try:
            ring = cls(data["mac"]["algorithm"], data["mac"]["key"], data["index"]["key"],
                       data["data"]["algorithm"], dict(data["data"]["keys"]),
                       data["data"]["current"], data["signing"]["private"],
                       data.get("created", ""), source)
        except (KeyError, TypeError) as exc:
            raise KeysError(f"密钥文件格式有误（缺少 {exc}）。") from None
        if ring.mac_algorithm not in crypto.MAC_ALGORITHMS or ring.aead not in \
                crypto.AEAD_ALGORITHMS or ring.current not in ring.data_keys:
            raise KeysError("密钥文件中的算法或当前密钥编号无效。")
        return ring

    def save(self, path: Path) -> None:
        """Write atomically, readable by the owner only."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.as_json(), fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        self.source = path

    # --- uses --------------------------------------------------------------------------

    def mac(self, message: str) -> str:
        return crypto.mac(self.mac_algorithm, self.mac_key, message)

    def blind_index(self, kind: str, value: str | None) -> str | None:
        """Keyed hash for exact-match lookups of an encrypted value (never reversible)."""
        if value is None:
            return None
        return crypto.mac(self.mac_algorithm, self.index_key, f"{kind}\n{value}")[:32]

    def public_pem(self) -> str:
        return crypto.public_pem(self.signing_key)


# --- the process's keyring --------------------------------------------------------------

_lock = threading.Lock()
_state: dict[str, Any] = {"ring": None, "pinned": False, "checked": 0.0, "mtime": None}


def load() -> Keyring:
    """The configured keyring; KeysError (Chinese) when it is missing or unreadable."""
    env = os.environ.get("PETITION_FLOW_KEYS")
    if env:
        try:
            return Keyring.from_json(json.loads(env))
        except ValueError:
            raise KeysError("环境变量 PETITION_FLOW_KEYS 不是有效的密钥文件内容。") from None
    path = key_file_path()
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise KeysError(MISSING.format(where=path)) from None
    except OSError as exc:
        raise KeysError(f"无法读取密钥文件 {path}：{exc.strerror}。") from None
    try:
        return Keyring.from_json(json.loads(text), path)
    except ValueError:
        raise KeysError(f"密钥文件 {path} 已损坏（不是有效的 JSON）。") from None


def exists() -> bool:
    return bool(os.environ.get("PETITION_FLOW_KEYS")) or key_file_path().exists()


def create(created: str = "") -> Keyring:
    """A new keyring at the key file, and its public key exported; refuses to overwrite."""
    path = key_file_path()
    if exists():
        raise KeysError(f"密钥已存在（{_where()}），不会覆盖。")
    ring = Keyring.generate(created=created)
    ring.save(path)
    export_public_key(ring)
    return ring


def export_public_key(ring: Keyring, path: Path | None = None) -> Path:
    path = path or public_key_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ring.public_pem(), "utf-8")
    return path


def active() -> Keyring:
    """The keyring of this process, re-read (at most once a second) when its file changes."""
    with _lock:
        ring = _state["ring"]
        if _state["pinned"]:
            return ring
        # Within the second, only a change of configuration (another key file or instance
        # folder) is looked for, from the environment: no stat, no path resolution, which
        # every audit entry's MAC used to pay for (issue 18).
        where = _configured()
        if ring is not None and time.monotonic() - _state["checked"] < 1.0 \
                and _state.get("where") == where:
            return ring
        _state["checked"], _state["where"] = time.monotonic(), where
        mtime = _mtime()
        if ring is None or mtime != _state["mtime"]:
            _state["ring"], _state["mtime"] = load(), mtime
        return _state["ring"]


def _configured() -> tuple:
    """What names the keyring's place: the variables and the working folder it is found by."""
    return (os.environ.get("PETITION_FLOW_KEYS"), os.environ.get("PETITION_FLOW_KEY_FILE"),
            os.environ.get("PETITION_FLOW_INSTANCE"), os.getcwd())


def _mtime() -> tuple:
    """What identifies the configured keyring's current content: the source and its mtime."""
    env = os.environ.get("PETITION_FLOW_KEYS")
    if env:
        return ("env", hash(env))
    path = key_file_path()
    try:
        return (str(path), path.stat().st_mtime_ns)
    except OSError:
        return (str(path), None)


def pinned() -> Keyring | None:
    """The keyring pinned by ``using``, if any."""
    with _lock:
        return _state["ring"] if _state["pinned"] else None


def forget() -> None:
    """Drop the cached keyring (the configuration changed)."""
    with _lock:
        _state.update(ring=None, pinned=False, checked=0.0, mtime=None)


@contextmanager
def using(ring: Keyring) -> Iterator[Keyring]:
    """Pin ``ring`` as this process's keyring (tools that work on another instance's copy)."""
    with _lock:
        saved = dict(_state)
        _state.update(ring=ring, pinned=True)
    try:
        yield ring
    finally:
        with _lock:
            _state.clear()
            _state.update(saved)

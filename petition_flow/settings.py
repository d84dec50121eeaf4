"""Checking the settings at start: types, ranges, files that must be readable.

``petition-flow serve`` refuses to start while any setting is wrong, printing one Chinese
line per setting that names it and its value. The deadline sweep never depends on the mail
settings: it only writes the outbox, and a delivery with bad mail settings fails as a
delivery error (kept on the row and retried), so one typo cannot stop the warnings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import PetitionFlowError

MIN_SECRET_LENGTH = 16


class SettingsError(PetitionFlowError):
    """One or more settings cannot be used; ``problems`` has one line each."""

    code = "settings_invalid"

    def __init__(self, problems: list[str] | tuple[str, ...]):
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


def read_secret_key(path: Path) -> str:
    """The instance secret key file's content; SettingsError if unreadable or empty."""
    try:
        key = path.read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc.__class__.__name__
        raise SettingsError([f"会话密钥文件 {path} 无法读取（{reason}）：请检查文件权限，"
                             "或删除该文件，由系统重新生成。"]) from None
    if not key:
        raise SettingsError([f"会话密钥文件 {path} 为空：请删除该文件，由系统重新生成；"
                             "多进程部署时请改用环境变量 PETITION_FLOW_SECRET_KEY。"])
    return key


def check_app_settings(config: Mapping[str, Any]) -> list[str]:
    """Every problem with a Flask app's settings (and the PETITION_FLOW_* environment)."""
    from .services.notify import NotifyConfig

    problems: list[str] = []
    secret = config.get("SECRET_KEY")
    if not isinstance(secret, str) or len(secret.strip()) < MIN_SECRET_LENGTH:
        problems.append(f"会话密钥（SECRET_KEY / PETITION_FLOW_SECRET_KEY）过短或为空：至少需"
                        f"{MIN_SECRET_LENGTH}个字符。")
    busy = config.get("SQLITE_BUSY_TIMEOUT")
    if busy is not None:
        try:
            if isinstance(busy, bool) or not 0.1 <= float(busy) <= 120:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"设置 SQLITE_BUSY_TIMEOUT 的值“{busy}”无效：应为0.1至120之间的秒数。")
    store = config.get("ATTACHMENT_STORE", "local")
    if store != "local":
        problems.append(f"设置 ATTACHMENT_STORE 的值“{store}”无效：目前只支持 local（实例目录或 "
                        "ATTACHMENT_FOLDER 指定的目录）。")
    try:
        trusted_proxies(config)
    except SettingsError as exc:
        problems.extend(exc.problems)
    notify = NotifyConfig.from_mapping(
        {**os.environ, **{k: v for k, v in config.items() if k.startswith("PETITION_FLOW_")}})
    problems.extend(notify.problems)
    return problems


def database_problem(exc: BaseException) -> str | None:
    """One line for a database URL or connection failure (no password, no traceback)."""
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    if isinstance(exc, NoSuchModuleError | ArgumentError):
        return (f"数据库地址（PETITION_FLOW_DATABASE_URL）无效：{exc}。"
                "应形如 postgresql+psycopg://用户:密码@主机/库名 或 sqlite:///文件路径。")
    if isinstance(exc, DBAPIError):
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return f"无法连接数据库：{reason}（请检查 PETITION_FLOW_DATABASE_URL 中的主机、用户名和密码）。"
    if isinstance(exc, ModuleNotFoundError) and "psycopg" in str(exc):
        return "连接 PostgreSQL 需要 psycopg：请运行 pip install 'petition_flow[postgres]'。"
    return None


MAX_TRUSTED_PROXIES = 5


def trusted_proxies(config: dict[str, Any]) -> int:
    raw = config.get("TRUSTED_PROXIES", 0)
    try:
        if isinstance(raw, bool):
            raise ValueError
        count = int(raw)
        if not 0 <= count <= MAX_TRUSTED_PROXIES:
            raise ValueError
    except (TypeError, ValueError):
        raise SettingsError([f"设置 TRUSTED_PROXIES 的值“{raw}”无效：应为0至{MAX_TRUSTED_PROXIES}"
                             "之间的整数（前面有几层反向代理；0表示不信任任何 X-Forwarded-* 请求头）。"]
                            ) from None
    return count

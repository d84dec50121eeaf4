"""An instance's health: one list of checks shared by ``petition-flow doctor`` and the
administration's 运行状况 page.

Each check gives one Chinese line. A problem is something an administrator must fix (the
doctor then exits 1); the other lines say what was found. Checks: the settings, the database
(reachable, migrated to the head), the code version stamp (stamp.py), the key file and the
instance's secret files and their permissions, next year's holiday schedule (a problem from
November on: statutory deadlines in January are counted over a provisional calendar), the
scheduler lease (who holds it, the last sweep) and, on request, the mail server.
"""

from __future__ import annotations

import os
import smtplib
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text

from .. import clock, keys, paths

SWEEP_LATE = timedelta(minutes=5)  # the scheduler sweeps every minute
CALENDAR_WARN_MONTH = 11


@dataclass(frozen=True)
class Check:
    name: str  # what was checked, Chinese, short
    ok: bool
    line: str


@dataclass
class HealthReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def add(self, name: str, ok: bool, line: str) -> None:
        self.checks.append(Check(name, ok, line))


def _loose(path: Path) -> bool:
    """Readable or writable by group or others."""
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def _mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))[2:]


def instance_health(engine: Engine, now: datetime, settings: Mapping[str, Any], *,
                    instance: Path | None = None, mail: bool = False) -> HealthReport:
    """Every check, in order; ``settings`` are the web app's (app.config, or the same built at
    the console)."""
    report = HealthReport()
    instance = Path(instance or paths.instance_dir())
    _settings(report, settings)
    _files(report, instance, settings)
    if _database(report, engine):
        _stamp(report, engine)
        _keys_match(report, engine)
        _calendar(report, engine, now)
        _scheduler(report, engine, now)
    if mail:
        _mail(report, settings)
    return report


def _settings(report: HealthReport, settings: Mapping[str, Any]) -> None:
    from ..settings import check_app_settings

    problems = [*settings.get("_problems", ()), *check_app_settings(settings)]
    for line in problems:
        report.add("设置", False, line)
    if not problems:
        report.add("设置", True, "设置检查通过。")


def _files(report: HealthReport, instance: Path, settings: Mapping[str, Any]) -> None:
    if instance.exists() and _loose(instance):
        report.add("实例目录", False, f"实例目录 {instance} 的权限为 {_mode(instance)}，其他用户可以进入："
                                  f"请执行 chmod 700 {instance}。")
    config_py = instance / "config.py"
    if config_py.exists() and _loose(config_py):
        report.add("配置文件", False, f"实例配置文件 {config_py} 的权限为 {_mode(config_py)}（其中可能有邮件密码）："
                                  f"请执行 chmod 600 {config_py}。")
    secret = instance / "secret_key"
    if not os.environ.get("PETITION_FLOW_SECRET_KEY") and secret.exists() and _loose(secret):
        report.add("会话密钥", False, f"会话密钥文件 {secret} 的权限为 {_mode(secret)}：请执行 chmod 600 {secret}。")
    if os.environ.get("PETITION_FLOW_KEYS"):
        report.add("密钥文件", True, "密钥来自环境变量 PETITION_FLOW_KEYS。")
        return
    path = keys.key_file_path()
    if not path.exists():
        report.add("密钥文件", False, f"密钥文件 {path} 不存在：审计链无法校验，信访人信息无法读取。"
                                  "请从备份恢复密钥文件，或确认 PETITION_FLOW_KEY_FILE 的设置。")
        return
    try:
        keys.load()
    except keys.KeysError as exc:
        report.add("密钥文件", False, exc.message)
        return
    if _loose(path):
        report.add("密钥文件", False, f"密钥文件 {path} 的权限为 {_mode(path)}，其他用户可以读取："
                                  f"请执行 chmod 600 {path}。")
        return
    report.add("密钥文件", True, f"密钥文件 {path} 可读，权限 {_mode(path)}。")


def _database(report: HealthReport, engine: Engine) -> bool:
    from ..migrate import current_revision, head_revision
    from ..settings import database_problem

    name = engine.url.database
    if engine.dialect.name == "sqlite" and name and name != ":memory:" \
            and not Path(name).exists():
        report.add("数据库", False, f"数据库文件 {name} 不存在：请运行 petition-flow init。")
        return False
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = current_revision(engine)
    except Exception as exc:
        report.add("数据库", False, database_problem(exc) or f"无法连接数据库：{exc.__class__.__name__}。")
        return False
    head = head_revision()
    if current is None:
        report.add("数据库", False, "数据库尚未初始化：请运行 petition-flow init。")
        return False
    if current != head:
        report.add("数据库", False, f"数据库结构版本为 {current}，程序需要 {head}：请运行 petition-flow db upgrade。")
        return False
    report.add("数据库", True, f"数据库可连接，结构版本 {current}（最新）。")
    return True


def _stamp(report: HealthReport, engine: Engine) -> None:
    from ..stamp import code_version, mismatch, read_stamp

    stamp = read_stamp(engine)
    if stamp is None:
        report.add("程序版本", False, "数据库中没有程序版本记录：请运行 petition-flow db upgrade。")
    elif line := mismatch(stamp):
        report.add("程序版本", False, line)
    else:
        report.add("程序版本", True, f"程序版本 {code_version()} 与数据库记录一致。")


def _keys_match(report: HealthReport, engine: Engine) -> None:
    from ..db import make_session_factory
    from .datakeys import check_keys

    try:
        ring = keys.load()
    except keys.KeysError:
        return  # said by the key file check
    with make_session_factory(engine)() as session, keys.using(ring):
        try:
            check_keys(session)
        except keys.KeysError as exc:
            report.add("密钥与数据库", False, exc.message)


def _calendar(report: HealthReport, engine: Engine, now: datetime) -> None:
    from ..db import make_session_factory
    from .calendars import current_calendar

    local = now.astimezone(clock.CHINA_TZ)
    year = local.year + 1
    with make_session_factory(engine)() as session:
        loaded = current_calendar(session).is_official(year)
    if loaded:
        report.add("节假日安排", True, f"{year}年节假日安排已导入。")
    elif local.month >= CALENDAR_WARN_MONTH:
        report.add("节假日安排", False, f"{year}年节假日安排尚未导入：国务院办公厅公布后请用 petition-flow "
                                   f"calendar import 导入，否则跨年的期限按暂定日历计算。")
    else:
        report.add("节假日安排", True, f"{year}年节假日安排尚未导入（通常于11月前后公布，届时导入）。")


def _scheduler(report: HealthReport, engine: Engine, now: datetime) -> None:
    from ..db import make_session_factory
    from ..models import SchedulerLease
    from .lease import LEASE

    with make_session_factory(engine)() as session:
        lease = session.execute(select(SchedulerLease).where(SchedulerLease.name == LEASE)) \
            .scalar_one_or_none()
    if lease is None:
        report.add("调度器", False, "调度器从未运行：期限预警和邮件不会发出。请启动 petition-flow scheduler"
                                 "（或不带 --no-scheduler 的 petition-flow serve）。")
        return
    local = lambda t: f"{t.astimezone(clock.CHINA_TZ):%Y-%m-%d %H:%M:%S}"  # noqa: E731
    swept = f"上次期限扫描 {local(lease.last_sweep_at)}" if lease.last_sweep_at else "尚无期限扫描记录"
    if lease.expires_at <= now:
        report.add("调度器", False, f"调度器未在运行：{lease.holder} 的租约已于 {local(lease.expires_at)} 到期，"
                                 f"{swept}。期限预警和邮件不会发出，请启动 petition-flow scheduler。")
        return
    if lease.last_sweep_at is None or now - lease.last_sweep_at > SWEEP_LATE:
        report.add("调度器", False, f"调度器 {lease.holder} 持有租约，但{swept}，已超过"
                                 f"{int(SWEEP_LATE.total_seconds() // 60)}分钟：请查看调度器日志。")
        return
    report.add("调度器", True, f"调度器 {lease.holder} 持有租约（至 {local(lease.expires_at)}），{swept}。")


def _mail(report: HealthReport, settings: Mapping[str, Any]) -> None:
    from .notify import NotifyConfig

    config = NotifyConfig.from_mapping(
        {**os.environ, **{k: v for k, v in settings.items() if k.startswith("PETITION_FLOW_")}})
    if not config.email_enabled:
        report.add("邮件", False, "未设置邮件服务器（PETITION_FLOW_SMTP_HOST）：预警和督办日报不会以邮件发出。")
        return
    smtp_class = smtplib.SMTP_SSL if config.smtp_ssl else smtplib.SMTP
    try:
        with smtp_class(timeout=config.connect_timeout) as smtp:
            smtp.connect(config.smtp_host, config.smtp_port)
            if config.smtp_starttls:
                smtp.starttls()
            if config.smtp_user:
                smtp.login(config.smtp_user, config.smtp_password or "")
            smtp.noop()
    except (OSError, smtplib.SMTPException) as exc:
        report.add("邮件", False, f"无法连接邮件服务器 {config.smtp_host}:{config.smtp_port}：{exc}。")
        return
    report.add("邮件", True, f"邮件服务器 {config.smtp_host}:{config.smtp_port} 可连接。")


def console_settings(instance: Path | None = None) -> dict[str, Any]:
    """The settings a web worker of this instance would have, built at the console without
    creating the app (no secret key file is created here)."""
    from .. import config
    from ..settings import SettingsError, read_secret_key

    instance = Path(instance or paths.instance_dir())
    problems: list[str] = []
    out: dict[str, Any] = {"_problems": problems}
    secret = os.environ.get("PETITION_FLOW_SECRET_KEY")
    if secret is None and (instance / "secret_key").exists():
        try:
            secret = read_secret_key(instance / "secret_key")
        except SettingsError as exc:
            secret = "x" * 64
            problems.extend(exc.problems)
    out["SECRET_KEY"] = secret if secret is not None else "x" * 64  # made at the first start
    try:
        out.update(config.load_settings(instance))
    except ValueError as exc:
        problems.append(str(exc))
    except Exception as exc:  # an instance config.py that does not run
        problems.append(f"实例配置文件无法加载：{exc.__class__.__name__}: {exc}")
    return out

"""The `petition-flow` command line. Output meant for staff is Chinese."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click

from . import clock, config, paths
from .errors import PetitionFlowError


class Database:
    """Engine and sessions for the configured database (SQLite in the instance folder by default)."""

    def __init__(self, url: str | None = None):
        from .db import make_engine, make_session_factory

        self.url = url or config.database_url()
        if self.url.startswith("sqlite:///"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(self.url)
        self.Session = make_session_factory(self.engine)

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


@click.group(help="信访事项办理流程引擎（宝鸡市信访工作法治化试点）。")
def main() -> None:
    pass


@main.command("init", help="创建实例目录与数据库，执行迁移，写入宝鸡市组织机构；--demo 另加演示账号和案例。")
@click.option("--demo", is_flag=True, help="加入演示用户和各种状态的演示案例。")
def init_cmd(demo: bool) -> None:
    from .migrate import upgrade
    from .services.demo import DEMO_PASSWORD, seed_demo
    from .services.org import seed_organisation

    instance = paths.instance_dir()
    instance.mkdir(parents=True, exist_ok=True)
    db = Database()
    upgrade(db.engine)
    with db.Session() as session:
        added = seed_organisation(session)
        session.commit()
    click.echo(f"实例目录：{instance}")
    click.echo(f"数据库：{db.engine.url.render_as_string(hide_password=True)}")
    click.echo(f"组织机构：新增 {added} 个单位。" if added else "组织机构已存在，未重复写入。")
    if demo:
        with db.Session() as session:
            summary = seed_demo(session, clock.now())
        if summary.created_users:
            click.echo(f"演示案例：{summary.cases} 件，覆盖 {summary.states} 种状态。")
        else:
            click.echo("演示数据已存在，未重复写入。")
        click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, label in summary.accounts:
            click.echo(f"  {username:<28}{label}")


@main.group("db", help="数据库维护。")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="把数据库结构升级到最新版本（不丢失数据）。")
def db_upgrade() -> None:
    from .migrate import current_revision, upgrade

    db = Database()
    upgrade(db.engine)
    click.echo(f"数据库已升级到版本 {current_revision(db.engine)}。")


@main.group("workflow", help="工作流定义（workflows/*.yaml）。")
def workflow_group() -> None:
    pass


@workflow_group.command("check", help="校验 workflows/ 中的全部工作流文件，或指定的文件。")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def workflow_check(files: tuple[Path, ...]) -> None:
    from .domain.loader import load_workflow_file
    from .domain.registry import workflow_files

    targets = list(files) or workflow_files(paths.workflows_dir())
    if not targets:
        raise click.ClickException(f"{paths.workflows_dir()} 中没有工作流文件。")
    failed = 0
    for path in targets:
        try:
            spec = load_workflow_file(path, paths.templates_dir())
        except PetitionFlowError as exc:
            failed += 1
            click.echo(f"✗ {path.name}", err=True)
            click.echo(exc.message, err=True)
            continue
        click.echo(f"✓ {path.name}：{spec.title}，{len(spec.states)} 个状态，"
                   f"{len(spec.transitions)} 个转换，{len(spec.clocks)} 个期限（版本 {spec.version}）")
    if failed:
        sys.exit(1)


@workflow_group.command("show", help="以 Mermaid 状态图输出工作流。")
@click.argument("name")
def workflow_show(name: str) -> None:
    from .domain.engine import mermaid
    from .domain.registry import engines

    found = engines(paths.workflows_dir(), paths.templates_dir()).get(name)
    if found is None:
        raise click.ClickException(f"没有名为“{name}”的工作流。")
    click.echo(mermaid(found.spec), nl=False)


@main.group("calendar", help="节假日与期限计算。")
def calendar_group() -> None:
    pass


@calendar_group.command("due", help="计算截止日期：第一行为 ISO 日期，第二行为说明。")
@click.option("--from", "start", required=True, help="起算日（不计入），YYYY-MM-DD。")
@click.option("--days", required=True, type=click.IntRange(min=1), help="期限天数。")
@click.option("--workdays", is_flag=True, help="按工作日计算（含调休上班日）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
def calendar_due(start: str, days: int, workdays: bool, as_json: bool) -> None:
    from .services.calendars import plain_due

    try:
        trigger = date.fromisoformat(start)
    except ValueError:
        raise click.BadParameter("日期格式应为 YYYY-MM-DD。", param_hint="--from") from None
    try:
        due = plain_due(_calendar_for_cli(), trigger, days, "workday" if workdays else "calendar")
    except PetitionFlowError as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps({"due_date": due.due_date.isoformat(),
                               "provisional": due.provisional,
                               "explanation": due.explanation}, ensure_ascii=False))
    else:
        click.echo(due.due_date.isoformat())
        click.echo(due.explanation)


def _calendar_for_cli():
    """The database's calendar when there is a database; the shipped one otherwise."""
    from .domain.workcalendar import WorkCalendar
    from .migrate import current_revision
    from .services.calendars import current_calendar, shipped_overrides

    db = Database()
    try:
        if current_revision(db.engine) is not None:
            with db.Session() as session:
                return current_calendar(session)
    finally:
        db.engine.dispose()
    return WorkCalendar(shipped_overrides())


@calendar_group.command("import", help="导入某一年的节假日安排文件，并重算受影响的未到期期限。")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def calendar_import(file: Path) -> None:
    from .domain.workcalendar import CalendarFileError
    from .services.actor import SYSTEM
    from .services.calendars import import_calendar

    db = Database()
    db.require_schema()
    with db.Session() as session:
        try:
            override, count = import_calendar(session, SYSTEM, clock.now(),
                                              file.read_text("utf-8"), file.name)
        except CalendarFileError as exc:
            raise click.ClickException(str(exc)) from None
        except PetitionFlowError as exc:
            _fail(exc)
    click.echo(f"已导入 {override.year} 年节假日安排（{override.source}）："
               f"放假 {len(override.holidays)} 天，调休上班 {len(override.workdays)} 天；"
               f"重算期限 {count} 个。")


@main.group("audit", help="审计日志。")
def audit_group() -> None:
    pass


@audit_group.command("verify", help="校验审计哈希链，指出第一条被篡改、删除或调换的记录。")
def audit_verify() -> None:
    from .services.audit import verify_chain

    db = Database()
    db.require_schema()
    with db.Session() as session:
        result = verify_chain(session)
    if result.ok:
        click.echo(result.message)
    else:
        click.echo(f"审计链校验失败：{result.message}", err=True)
        sys.exit(1)


@contextmanager
def _database():
    """The configured database, schema checked, its connections closed afterwards."""
    db = Database()
    try:
        db.require_schema()
        yield db
    finally:
        db.engine.dispose()


@main.group("token", help="JSON API 访问令牌（Authorization: Bearer <令牌>）。")
def token_group() -> None:
    pass


@token_group.command("create", help="为用户签发访问令牌；令牌只显示这一次，请妥善保存。")
@click.argument("username")
@click.option("--name", default="", help="令牌名称，如对接的系统（默认 api）。")
def token_create(username: str, name: str) -> None:
    from .services.actor import SYSTEM
    from .services.tokens import create_token

    with _database() as db, db.Session() as session:
        try:
            issued = create_token(session, SYSTEM, clock.now(), username, name)
        except PetitionFlowError as exc:
            _fail(exc)
    click.echo(f"已为用户 {issued.username} 签发令牌（编号 {issued.id}，名称 {issued.name}）。"
               "令牌只显示这一次：", err=True)
    click.echo(issued.token)


@token_group.command("revoke", help="吊销访问令牌，立即生效。")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    from .services.actor import SYSTEM
    from .services.tokens import revoke_token

    with _database() as db, db.Session() as session:
        try:
            row = revoke_token(session, SYSTEM, clock.now(), token_id)
        except PetitionFlowError as exc:
            _fail(exc)
        click.echo(f"令牌 {row.id}（用户 {row.user.username}，名称 {row.name}）已吊销。")


@token_group.command("list", help="列出访问令牌（不显示令牌本身）。")
def token_list() -> None:
    from .services.tokens import list_tokens

    with _database() as db, db.Session() as session:
        rows = list_tokens(session)
        if not rows:
            click.echo("尚无访问令牌。")
        for row in rows:
            state = "已吊销" if row.revoked_at else "有效"
            used = row.last_used_at.isoformat() if row.last_used_at else "从未使用"
            click.echo(f"{row.id}\t{row.user.username}\t{row.name}\t{state}\t最近使用：{used}")

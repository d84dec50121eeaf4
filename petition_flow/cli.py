"""The `petition-flow` command line. Output meant for staff is Chinese."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from . import clock, config, paths
from .cli_support import Database, _check_keys, _database, _fail, _instant, _policy  # noqa: F401
from .errors import PetitionFlowError


class _Main(click.Group):
    """Settings and database connection errors end a command with one Chinese line each,
    never a traceback."""

    def invoke(self, ctx):
        from .settings import SettingsError, database_problem

        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            for line in exc.problems:
                click.echo(line, err=True)
            sys.exit(1)
        except Exception as exc:
            line = database_problem(exc)
            if line is None:
                raise
            click.echo(line, err=True)
            sys.exit(1)


@click.group(cls=_Main, help="信访事项办理流程引擎（宝鸡市信访工作法治化试点）。")
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"],
                                               case_sensitive=False),
              help="日志级别（默认取 PETITION_FLOW_LOG_LEVEL，否则 INFO），例如 --log-level DEBUG scheduler。")
def main(log_level: str | None) -> None:
    from . import logs

    try:
        logs.configure(log_level)  # one configuration for every command (logs.py)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@main.command("init", help="创建实例目录与数据库，执行迁移，写入随附的宝鸡市组织机构文件；"
                           "--demo 另加演示账号和案例。不带 --demo 时最后显示创建第一个管理员的命令。")
@click.option("--demo", is_flag=True, help="加入演示用户和各种状态的演示案例。")
def init_cmd(demo: bool) -> None:
    from .devtools.demo import DEMO_PASSWORD, seed_demo
    from .instance import secure_folder
    from .migrate import upgrade
    from .services.org import seed_organisation

    instance = paths.instance_dir()
    secure_folder(instance)
    from . import keys

    db = Database()
    upgrade(db.engine)
    _check_keys(db)
    with db.Session() as session:
        added = seed_organisation(session)
    click.echo(f"实例目录：{instance}")
    click.echo(f"密钥文件：{keys.key_file_path()}（不在数据库中；请另行妥善备份，丢失后审计链和信访人信息无法校验或读取）")
    click.echo(f"审计检查点：{keys.checkpoint_path()}；签名公钥：{keys.public_key_path()}")
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
    else:
        _next_step(db)
    db.engine.dispose()


def _next_step(db: Database) -> None:
    """After a plain init: the exact command that makes the first administrator."""
    from .services.org import first_admin_unit

    with db.Session() as session:
        has_admin, unit = first_admin_unit(session)
    if has_admin:
        return
    click.echo("下一步：")
    click.echo("  如需使用本地的组织机构，先导入组织机构文件：petition-flow org import 文件.yaml"
               "（格式见 petition-flow org export）。")
    click.echo("  创建第一个系统管理员（显示一次性密码，首次登录时须修改；导入了本地组织机构时，"
               "--unit 填其中市信访局的单位代码）：")
    click.echo(f"  petition-flow user create admin --role admin --unit {unit or '单位代码'}")


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

    known = engines(paths.workflows_dir(), paths.templates_dir())
    found = known.get(name.removesuffix(".yaml"))
    if found is None:
        names = "、".join(sorted(known)) or "（无）"
        raise click.ClickException(f"没有名为“{name}”的工作流。现有工作流：{names}。")
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
    from .domain.workcalendar import CalendarFileError, read_calendar_file
    from .services.actor import SYSTEM
    from .services.calendars import import_calendar

    try:
        text = read_calendar_file(file)
    except CalendarFileError as exc:
        raise click.ClickException(str(exc)) from None
    db = Database()
    db.require_schema()
    with db.Session() as session:
        try:
            override, count = import_calendar(session, SYSTEM, clock.now(), text, file.name)
        except CalendarFileError as exc:
            raise click.ClickException(str(exc)) from None
        except PetitionFlowError as exc:
            _fail(exc)
    click.echo(f"已导入 {override.year} 年节假日安排（{override.source}）："
               f"放假 {len(override.holidays)} 天，调休上班 {len(override.workdays)} 天；"
               f"截止日期因此改变的期限 {count} 个。")


@main.group("audit", help="审计日志。")
def audit_group() -> None:
    pass


@audit_group.command("verify", help="校验审计哈希链、密钥校验码和每一个签名检查点，指出被篡改、删除、改写或回滚之处。")
@click.option("--checkpoints", "checkpoints_file", type=click.Path(dir_okay=False, path_type=Path),
              help="检查点文件（默认为本实例的检查点文件）。")
@click.option("--public-key", "public_key_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="签名公钥（PEM）。给出时不需要审计密钥：供外部核查人员在副本上校验。")
@click.option("--database", "database_url", default=None, help="要校验的数据库（默认为本实例的）。")
def audit_verify(checkpoints_file: Path | None, public_key_file: Path | None,
                 database_url: str | None) -> None:
    from . import crypto, keys
    from .services.evidence import verify_evidence

    db = Database(database_url)
    try:
        db.require_schema()  # an uninitialised instance is told to run init, before keys
        ring = None
        try:
            if public_key_file is not None:
                public = crypto.load_public(public_key_file.read_text("utf-8"))
            else:
                ring = keys.active()
                public = crypto.load_public(ring.public_pem())
        except keys.KeysError as exc:
            _fail(exc)
        except ValueError:
            raise click.ClickException(f"{public_key_file} 不是有效的 Ed25519 公钥（PEM）。") from None
        if checkpoints_file is None and public_key_file is None:
            checkpoints_file = keys.checkpoint_path()
        with db.Session() as session:
            report = verify_evidence(session, ring, checkpoints_file, public)
    finally:
        db.engine.dispose()
    for note in report.notes:
        click.echo(note)
    if report.ok:
        click.echo(report.chain.message)
        return
    click.echo("审计日志校验失败：", err=True)
    if not report.chain.ok:
        click.echo(f"  {report.chain.message}", err=True)
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


@audit_group.command("checkpoint", help="签名当前链尾（序号、哈希、时间），追加到检查点文件并记入数据库。")
def audit_checkpoint() -> None:
    from . import keys
    from .services.checkpoints import write_checkpoint

    with _database() as db, db.Session() as session:
        try:
            point = write_checkpoint(session, clock.now())
        except PetitionFlowError as exc:
            _fail(exc)
    click.echo(f"已写入第{point.n}个检查点：审计链第{point.seq}条，哈希 {point.hash[:16]}…，"
               f"{point.at.astimezone(clock.CHINA_TZ):%Y-%m-%d %H:%M:%S}（北京时间）。")
    click.echo(f"检查点文件：{keys.checkpoint_path()}")


@audit_group.command("retention", help="审计日志保存情况：最早和最新的记录，是否满足保存期限（默认6个月）。")
@click.option("--months", type=click.IntRange(1, 1200), default=None,
              help="要求的保存月数（默认 PETITION_FLOW_AUDIT_RETENTION_MONTHS 或 6）。")
def audit_retention(months: int | None) -> None:
    from .services.retention import retention_report

    with _database() as db, db.Session() as session:
        report = retention_report(session, clock.now(), months)
    for line in report.lines():
        click.echo(line)
    if not report.starts_at_first_entry:
        sys.exit(1)


@audit_group.command("export-key", help="导出检查点签名公钥（PEM），供外部核查人员使用。")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def audit_export_key(file: Path | None) -> None:
    from . import keys

    try:
        path = keys.export_public_key(keys.active(), file)
    except keys.KeysError as exc:
        _fail(exc)
    click.echo(f"公钥已导出到 {path}")


@main.group("keys", help="密钥（审计密钥、数据加密密钥、检查点签名密钥）。")
def keys_group() -> None:
    pass


@keys_group.command("rotate", help="启用新的数据加密密钥，并分批重新加密信访人信息；中断后再次运行即可续做。")
@click.option("--batch", default=500, show_default=True, type=click.IntRange(1, 100_000),
              help="每批重新加密的信访人记录数（每批一个事务）。")
def keys_rotate(batch: int) -> None:
    from .keys import KeysError
    from .services.datakeys import rotate

    def _progress(job, left):
        click.echo(f"  已重新加密 {job.rows} 条，剩余 {left} 条")

    with _database() as db, db.Session() as session:
        try:
            job = rotate(session, batch=batch, progress=_progress)
        except KeysError as exc:
            _fail(exc)
    start = f"已启用新的数据加密密钥 {job.key_id}" if job.new_key else \
        f"继续上次未完成的轮换（当前密钥 {job.key_id}）"
    click.echo(f"{start}；共重新加密信访人记录 {job.rows} 条，全部记录均已使用当前密钥。"
               "旧密钥仍保留在密钥文件中，供恢复旧备份时使用。")


def _passphrase(passphrase_file: Path | None, confirm: bool) -> str:
    import os

    if passphrase_file is not None:
        return passphrase_file.read_text("utf-8").strip()
    if os.environ.get("PETITION_FLOW_BACKUP_PASSPHRASE"):
        return os.environ["PETITION_FLOW_BACKUP_PASSPHRASE"]
    return click.prompt("备份密钥的口令", hide_input=True, confirmation_prompt=confirm)


PASSPHRASE_OPTION = click.option(
    "--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="口令文件（也可用环境变量 PETITION_FLOW_BACKUP_PASSPHRASE，否则提示输入）。")


@main.command("backup", help="在系统运行时备份数据库、检查点文件和公钥，写出签名清单；--with-keys 另以口令加密密钥。")
@click.argument("directory", required=False, default="backups",
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--with-keys", is_flag=True, help="把密钥以口令加密后一并放入备份。")
@PASSPHRASE_OPTION
def backup_cmd(directory: Path, with_keys: bool, passphrase_file: Path | None) -> None:
    from .services.backup import backup

    passphrase = _passphrase(passphrase_file, True) if with_keys else None
    with _database() as db:
        try:
            made = backup(db.engine, directory, clock.now(), passphrase=passphrase)
        except PetitionFlowError as exc:
            _fail(exc)
    counts = made.data["counts"]
    click.echo(f"备份完成：{made.folder}")
    click.echo(f"审计链尾：第{made.head_seq}条；信访事项 {counts['cases']} 件，审计记录 "
               f"{counts['audit_entries']} 条，检查点 {counts['audit_checkpoints']} 个。")
    click.echo("备份中含以口令加密的密钥。" if with_keys else
               "备份中不含密钥：恢复时需要本实例的密钥文件（或另行备份的密钥）。")


@main.command("restore", help="校验备份并恢复到本实例（须先停止服务）；拒绝校验不通过或早于最新检查点的备份。")
@click.argument("backup_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--accept-rollback", is_flag=True,
              help="允许恢复早于最新检查点的备份（回滚记入审计日志）。")
@click.option("--with-keys", is_flag=True, help="使用备份中以口令加密的密钥。")
@PASSPHRASE_OPTION
def restore_cmd(backup_dir: Path, accept_rollback: bool, with_keys: bool,
                passphrase_file: Path | None) -> None:
    from .keys import KeysError
    from .migrate import upgrade
    from .services.backup import read_manifest, restore, restore_keyring

    try:
        manifest = read_manifest(backup_dir)
        ring = restore_keyring(manifest, _passphrase(passphrase_file, False)
                               if with_keys else None)
        done = restore(manifest, config.database_url(), ring, clock.now(),
                       accept_rollback=accept_rollback)
    except (PetitionFlowError, KeysError) as exc:
        _fail(exc)
    db = Database()
    try:
        upgrade(db.engine)  # a backup from an older version is brought up to date
    finally:
        db.engine.dispose()
    click.echo(f"已恢复备份 {backup_dir.name}：审计链校验通过，链尾第{manifest.head_seq}条。")
    if done.rolled_back_from is not None:
        click.echo(f"已按 --accept-rollback 回滚：丢失第{manifest.head_seq + 1}至第{done.rolled_back_from}条"
                   f"审计记录；回滚已记入审计日志，原检查点文件另存为 {done.archived}。")


@main.command("serve", help="用 waitress 启动网页服务（默认 127.0.0.1:5000），并显示访问地址。")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址。")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535),
              help="监听端口。")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="工作线程数。")
@click.option("--no-scheduler", is_flag=True,
              help="不在本进程内运行期限扫描（另行运行 petition-flow scheduler 时使用）。")
def serve_cmd(host: str, port: int, threads: int, no_scheduler: bool) -> None:
    from waitress import create_server

    from .app import create_app
    from .settings import SettingsError, check_app_settings

    db = Database()
    try:
        db.require_schema()
        _check_keys(db)
    finally:
        db.engine.dispose()
    try:
        app = create_app()
    except SettingsError:
        raise
    except Exception as exc:  # instance/config.py that does not run
        raise SettingsError([f"实例配置文件无法加载：{exc.__class__.__name__}: {exc}"]) from None
    # Every way out (a refused setting, a port in use, Ctrl+C) closes the pool: a refused start
    # must not leave a PostgreSQL connection open until the process ends.
    runner = None
    try:
        problems = check_app_settings(app.config)
        if problems:
            raise SettingsError([*problems, "设置有误，服务未启动。"])
        if not no_scheduler:
            from .scheduler import start_embedded_scheduler

            runner = start_embedded_scheduler(app)  # a database lease keeps one scheduler active
        server = create_server(app, host=host, port=port, threads=threads)
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        shown = f"[{shown}]" if ":" in shown else shown
        click.echo(f"信访事项办理系统已启动，请在浏览器中打开：http://{shown}:{server.effective_port}/")
        click.echo("按 Ctrl+C 停止服务。", err=True)
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
    finally:
        if runner is not None:
            runner.shutdown()
        app.extensions["petition_flow.engine"].dispose()


# --- scheduler ---------------------------------------------------------------------------

NOW_OPTION = click.option("--now", "now_text", metavar="YYYY-MM-DDTHH:MM",
                          help="按指定时间（北京时间）执行，默认当前时间。")


def _print_sweep(result, dry_run: bool) -> None:
    local = result.now.astimezone(clock.CHINA_TZ)
    click.echo(f"期限扫描：{local:%Y-%m-%d %H:%M}（北京时间）" + ("，试运行，未写入数据库" if dry_run else ""))
    if not result.alerts:
        click.echo("没有新的预警。")
        return
    click.echo(f"新发预警 {len(result.alerts)} 条：红色超期 {result.count('red')} 条，"
               f"黄色预警 {result.count('yellow')} 条，蓝色提示 {result.count('blue')} 条。")
    for alert in result.alerts:
        reached = alert.reached_at.astimezone(clock.CHINA_TZ)
        late = f"，停机期间达到，补发（迟{alert.days_late}日）" if alert.caught_up else ""
        click.echo(f"【{alert.label}】{alert.case_no} {alert.subject}，截止 "
                   f"{alert.due_date.isoformat()}，{reached:%Y-%m-%d %H:%M} 起{late}")
        if alert.unit_name:
            click.echo(f"    责任单位：{alert.unit_name}")
        click.echo("    通知：" + ("、".join(alert.recipients) or "（无对应人员）"))
        if alert.accountability_id:
            click.echo(f"    已生成追责问责记录第{alert.accountability_id}号，待督办人员认定。")


@main.command("sweep", help="执行一次期限扫描，列出新发的蓝色提示、黄色预警、红色超期。")
@NOW_OPTION
@click.option("--dry-run", is_flag=True, help="只显示将会发出的预警，不写入数据库。")
def sweep_cmd(now_text: str | None, dry_run: bool) -> None:
    from .services.alerts import sweep_deadlines

    now = _instant(now_text)
    with _database() as db, db.Session() as session:
        result = sweep_deadlines(session, now, dry_run=dry_run)
    _print_sweep(result, dry_run)


@main.command("deliver", help="发送待发的邮件和 Webhook 消息（失败的按退避时间重试）。")
@NOW_OPTION
def deliver_cmd(now_text: str | None) -> None:
    from .services.notify import deliver_pending

    with _database() as db, db.Session() as session:
        report = deliver_pending(session, _instant(now_text))
    click.echo(f"发送成功 {report.sent} 条，失败 {report.failed} 条。")
    for error in report.errors:
        click.echo(f"  {error}", err=True)


@main.command("digest", help="向督办人员发送督办日报（非工作日不发送，每人每日一次）。")
@NOW_OPTION
def digest_cmd(now_text: str | None) -> None:
    from .services.digest import send_digests

    with _database() as db, db.Session() as session:
        result = send_digests(session, _instant(now_text))
    if not result.working_day:
        click.echo(f"{result.day.isoformat()} 不是工作日，不发送督办日报。")
    else:
        click.echo(f"{result.day.isoformat()} 督办日报已发送 {len(result.sent_to)} 人。")


@main.command("scheduler", help="以独立进程运行定时任务（期限扫描、消息发送、督办日报）。")
def scheduler_cmd() -> None:
    from .scheduler import SchedulerRunner

    with _database() as db:
        _refuse_other_code(db)
        _run_scheduler(SchedulerRunner(db.engine, blocking=True))


def _refuse_other_code(db: Database) -> None:
    """A scheduler on code other than the database's stamp does not start (stamp.py)."""
    from .settings import SettingsError
    from .stamp import check_engine

    problem = check_engine(db.engine)
    if problem:
        raise SettingsError([problem, "调度器未启动。"])


def _run_scheduler(runner) -> None:
    import signal

    def _stop(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    click.echo(f"调度器 {runner.holder} 启动；同一数据库上只有持有租约的调度器执行任务。按 Ctrl+C 停止。")
    try:
        runner.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        # A second Ctrl+C must not cut the lease release short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        released = runner.shutdown(wait=False)
        click.echo("调度器已停止，租约已交还。" if released else "调度器已停止。")


@main.command("bench", help="基准测试：生成大量案件，测量登记、流转、期限扫描和页面（默认用临时 SQLite 数据库）。")
@click.option("--cases", default=100_000, show_default=True, type=click.IntRange(min=1),
              help="基准案件数；数据库中已有足够的基准案件时直接复用。")
@click.option("--changes", default=10_000, show_default=True, type=click.IntRange(min=0),
              help="同一天变色的期限数（繁忙扫描）。")
@click.option("--ops", default=200, show_default=True, type=click.IntRange(min=1),
              help="登记、流转和基线写入各测多少次。")
@click.option("--database", "--database-url", "database_url", default=None,
              help="基准测试专用数据库；默认在临时目录新建 SQLite 文件。不要指向生产数据库。")
@click.option("--now", "now_text", default="2026-10-09T09:00", show_default=True,
              help="测量时的“当前时间”（北京时间）。")
@click.option("--json", "as_json", is_flag=True, help="以一个 JSON 对象输出结果。")
def bench_cmd(cases: int, changes: int, ops: int, database_url: str | None, now_text: str,
              as_json: bool) -> None:
    import tempfile
    from contextlib import ExitStack

    from . import keys
    from .devtools.bench import large_tables, query_plans, run_bench, scans_by_page
    from .migrate import upgrade
    from .services.org import seed_organisation

    folder = Path(tempfile.mkdtemp(prefix="petition-flow-bench-"))
    stack = ExitStack()
    if database_url is None:
        database_url = f"sqlite:///{folder / 'bench.sqlite3'}"
        # A scratch database gets scratch keys, never the instance's (or new ones beside it).
        stack.enter_context(keys.using(keys.Keyring.generate()))
    db = Database(database_url)
    try:
        upgrade(db.engine)
        with db.Session() as session:
            seed_organisation(session)
        now = _instant(now_text)
        if not as_json:
            click.echo(f"数据库：{db.engine.url.render_as_string(hide_password=True)}")
        result = run_bench(db.engine, db.Session, now, cases, changes=changes, ops=ops,
                           instance_path=folder / "instance")
        with db.Session() as session:
            plans = query_plans(session, now)
            scans = scans_by_page(plans, large_tables(session))
    finally:
        stack.close()
        db.engine.dispose()
    if as_json:
        click.echo(json.dumps({**result.as_json(), "plans": plans, "full_scans": scans},
                              ensure_ascii=False))
        _fail_on_scans(scans)
        return
    labels = {"floor": "基线（一次 UPDATE + 一次 INSERT 并提交）", "register_petition": "登记信访事项",
              "fire_transition_classify": "流转：研判分类", "fire_transition_transfer": "流转：转送",
              "sweep_idle": "期限扫描（无事可做）", "sweep_10000_alerts": "期限扫描（1万个期限变色）",
              "handler_inbox": "承办人待办列表页", "case_page": "案件页", "city_dashboard": "市级督办统计页",
              "city_statistics": "市级统计分析页（含图表）", "export_all_cases_csv": "导出全部案件（CSV，流式）"}
    click.echo(f"案件 {result.cases:,} 件（准备用时 {result.seed_seconds:.1f} 秒）")
    click.echo(f"基线写入速率：{result.floor_ops_per_s:,.1f} 次/秒")
    for m in result.measures:
        click.echo(f"{labels.get(m.name, m.name)}：{m.ops_per_s:,.1f} 次/秒，"
                   f"中位数 {m.p50_ms:.2f} ms，P95 {m.p95_ms:.2f} ms，"
                   f"为基线的 {m.ratio_to_floor:.2f} 倍" + (f"（{m.note}）" if m.note else ""))
    click.echo(f"{changes:,} 个期限同时变色的扫描：新发预警 {result.sweep_alerts:,} 条")
    click.echo(f"进程内存（RSS）：测量前 {result.rss_before_mb:.1f} MB，测量后 {result.rss_after_mb:.1f} MB")
    for name, plan in plans.items():
        click.echo(f"查询计划 {name}：" + plan.replace("\n", " | "))
    _fail_on_scans(scans)


def _fail_on_scans(scans: dict[str, list[str]]) -> None:
    """A page that reads a whole large table gets slower with every case: the run fails."""
    if not scans:
        return
    for name, lines in scans.items():
        for line in lines:
            click.echo(f"全表扫描（{name}）：{line}", err=True)
    raise click.ClickException(f"{sum(map(len, scans.values()))} 条查询全表扫描大表"
                               f"（{'、'.join(scans)}），基准测试不通过。")


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
            used = (f"{row.last_used_at.astimezone(clock.CHINA_TZ):%Y-%m-%d %H:%M}（北京时间）"
                    if row.last_used_at else "从未使用")
            click.echo(f"{row.id}\t{row.user.username}\t{row.name}\t{state}\t最近使用：{used}")


# Accounts, the organisation and the doctor (cli_accounts.py).
from .cli_accounts import register as _register_accounts  # noqa: E402

_register_accounts(main)


if __name__ == "__main__":
    main()

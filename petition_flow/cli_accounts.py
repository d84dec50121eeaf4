"""Console commands for accounts, the organisation and the instance's health:
``petition-flow user …``, ``petition-flow org …`` and ``petition-flow doctor``.

Whoever runs them is audited as the operator at the console (控制台操作员, with the operating
system's user name): the server's console is where the first administrator is made and where a
locked-out sole administrator is recovered. Registered on the main group in cli.py.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from . import clock
from .errors import PetitionFlowError


def operator():
    from .services.actor import console_actor

    try:
        name = getpass.getuser()
    except Exception:  # no user name in the environment nor the password database
        name = ""
    return console_actor(name)


def _database():
    from .cli_support import _database as opened

    return opened()


def _fail(exc: PetitionFlowError) -> None:
    from .cli_support import _fail as fail

    fail(exc)


def _policy():
    from .cli_support import _policy as policy

    return policy()


# --- user -----------------------------------------------------------------------------------

@click.group("user", help="用户账号（口令策略与网页相同；操作记入审计日志，操作人为控制台操作员）。")
def user_group() -> None:
    pass


def _show_one_time(username: str, password: str) -> None:
    click.echo(f"一次性密码（只显示这一次，请当面或以安全方式交给 {username}）：")
    click.echo(password)


@user_group.command("create", help="新建用户并显示一次性密码；首次登录时须修改密码。")
@click.argument("username")
@click.option("--role", required=True, help="角色，如 admin、auditor、reception、handler。")
@click.option("--unit", "unit_code", required=True, help="单位代码，如 baoji.bureau。")
@click.option("--name", "display_name", default="", help="姓名（默认同用户名）。")
@click.option("--password", default=None,
              help="自定初始密码（须符合口令策略）；不填则生成一次性密码。")
@click.option("--prompt-password", is_flag=True, help="提示输入初始密码（不回显），不生成。")
def user_create(username: str, role: str, unit_code: str, display_name: str,
                password: str | None, prompt_password: bool) -> None:
    from .domain.roles import ROLES_BY_ID
    from .services.accounts import add_user, one_time_password
    from .services.org import unit_by_code

    policy = _policy()
    if prompt_password and password is None:
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    generated = password is None
    password = one_time_password(policy) if generated else password
    with _database() as db, db.Session() as session:
        try:
            unit = unit_by_code(session, unit_code)
            user = add_user(session, operator(), clock.now(), username=username,
                            display_name=display_name, password=password, unit_id=unit.id,
                            role=role, policy=policy, one_time=generated)
        except PetitionFlowError as exc:
            _fail(exc)
        label = ROLES_BY_ID[user.role].label
        click.echo(f"已新建用户 {user.username}（{label}，{unit.name}）。"
                   + ("首次登录时须修改密码。" if user.must_change_password else ""))
    if generated:
        _show_one_time(user.username, password)


@user_group.command("password", help="重置用户密码为输入的新密码；下次登录时须修改，其会话全部结束。")
@click.argument("username")
@click.option("--password", prompt="密码", hide_input=True, confirmation_prompt="再次输入密码",
              help="不填则提示输入（不回显）。")
def user_password(username: str, password: str) -> None:
    _reset(username, password)


@user_group.command("reset-password",
                    help="把用户密码重置为新生成的一次性密码（只显示一次）；其会话全部结束，登录限制解除。")
@click.argument("username")
def user_reset_password(username: str) -> None:
    from .services.accounts import one_time_password

    password = one_time_password(_policy())
    _reset(username, password)
    _show_one_time(username, password)


def _reset(username: str, password: str) -> None:
    from .services.accounts import reset_password

    policy = _policy()
    with _database() as db, db.Session() as session:
        try:
            user = reset_password(session, operator(), clock.now(), None, password, policy,
                                  username=username)
        except PetitionFlowError as exc:
            _fail(exc)
        click.echo(f"已重置用户 {user.username} 的密码，其登录会话均已结束，下次登录须修改密码。")


@user_group.command("unlock", help="解除用户因登录失败过多而受到的登录限制；--activate 同时重新启用已停用的账号。")
@click.argument("username")
@click.option("--activate", is_flag=True, help="账号已停用时重新启用。")
def user_unlock(username: str, activate: bool) -> None:
    from .services.accounts import unlock_user

    with _database() as db, db.Session() as session:
        try:
            done = unlock_user(session, operator(), clock.now(), username, activate=activate)
        except PetitionFlowError as exc:
            _fail(exc)
        user = done.user
        click.echo(f"已解除用户 {user.username} 的登录限制（清除 {done.throttles_cleared} 条限制记录）。"
                   + ("账号已重新启用。" if done.activated else ""))
        if not user.active:
            click.echo("注意：该账号已停用，仍无法登录；如需启用请加 --activate。", err=True)


@user_group.command("list", help="列出全部用户：角色、单位、状态、在线会话数。")
def user_list() -> None:
    from .domain.roles import ROLES_BY_ID
    from .services.accounts import list_users

    with _database() as db, db.Session() as session:
        rows = list_users(session, operator(), clock.now())
        if not rows:
            click.echo("尚无用户。请用 petition-flow user create 新建第一个系统管理员。")
        for row in rows:
            u = row.user
            state = ["启用" if u.active else "已停用"]
            if u.must_change_password:
                state.append("须修改密码")
            if row.throttled:
                state.append("登录受限")
            if u.demo:
                state.append("演示账号")
            click.echo(f"{u.username}\t{u.display_name}\t{ROLES_BY_ID[u.role].label}\t"
                       f"{u.unit.name}（{u.unit.code}）\t{'、'.join(state)}\t会话 {row.sessions}")


# --- org ------------------------------------------------------------------------------------

@click.group("org", help="组织机构（地区、单位、试点标记）：以 YAML 或 CSV 文件导入、导出。")
def org_group() -> None:
    pass


@org_group.command("import", help="按文件更新组织机构（新增、修改、删除），可重复运行；"
                                  "会使用户或信访事项失去所属单位的文件被拒绝。")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def org_import(file: Path) -> None:
    from .services.orgfile import import_organisation, read_org_file

    with _database() as db, db.Session() as session:
        try:
            org = read_org_file(file)
            result = import_organisation(session, operator(), clock.now(), org, file.name)
        except PetitionFlowError as exc:
            _fail(exc)
    click.echo(result.summary())
    click.echo(f"现有地区 {len(org.regions)} 个，单位 {len(org.units)} 个。")


@org_group.command("export", help="把当前组织机构写成可再导入的文件（.yaml 或 .csv；不给文件名则输出 YAML）。")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def org_export(file: Path | None) -> None:
    from .services.orgfile import current_organisation, dump

    with _database() as db, db.Session() as session:
        org = current_organisation(session)
    content = dump(org, file.name if file else "organisation.yaml")
    if file is None:
        click.echo(content, nl=False)
        return
    file.write_text(content, "utf-8")
    click.echo(f"已导出组织机构到 {file}：地区 {len(org.regions)} 个，单位 {len(org.units)} 个。")


# --- doctor ---------------------------------------------------------------------------------

@click.command("doctor", help="检查本实例：设置、数据库与迁移、程序版本、密钥文件与权限、"
                              "明年节假日安排、调度器；有问题时每个问题一行，退出码为1。")
@click.option("--mail", is_flag=True, help="同时连接邮件服务器检查。")
@click.option("--now", "now_text", metavar="YYYY-MM-DDTHH:MM",
              help="按指定时间（北京时间）检查，默认当前时间。")
def doctor_cmd(mail: bool, now_text: str | None) -> None:
    from . import config, paths
    from .cli_support import _instant
    from .db import make_engine
    from .services.health import console_settings, instance_health

    instance = paths.instance_dir()
    url = config.database_url()
    engine = make_engine(url)
    try:
        report = instance_health(engine, _instant(now_text), console_settings(instance),
                                 instance=instance, mail=mail)
    finally:
        engine.dispose()
    for check in report.checks:
        if check.ok:
            click.echo(f"✓ {check.line}")
    for check in report.problems:
        click.echo(f"✗ {check.line}", err=True)
    if not report.ok:
        sys.exit(1)
    click.echo("本实例运行正常。")


def register(main: click.Group) -> None:
    for command in (user_group, org_group, doctor_cmd):
        main.add_command(command)

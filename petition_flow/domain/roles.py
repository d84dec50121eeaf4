"""Every role the system knows, as one table: what each sees, may do and is shown.

Why a Python table and not YAML beside the workflows: a role's *scope* and its disclosure
condition are verbs the code implements (services/scope.py, services/disclosure.py); the table
chooses among them, and a typo here fails at import rather than at a county's first request.
Workflows name roles in their ``roles:`` and ``notify:`` lists; the loader checks those names
against this table. Nothing else in the code lists role names: it asks the table.

The rules it encodes:
- need to know (信访工作条例第四十七条、个人信息保护法第六条): a petitioner's identity is shown
  in full, after an audited reveal with a reason, only to the county's reception and supervisors
  and to the handlers of the unit now responsible; unit leaders, a first-handler unit after a
  hand-over, the city and the administrators see it masked and cannot reveal it;
- 首办责任制: a unit keeps seeing what it first handled (scope "unit");
- supervision orders (督办单) are issued and decided at a level (county or city) and answered
  by the target unit;
- 三权分立 (等保 level 3): the system administrator manages users, units, calendars and
  workflows and sees no petitioner in full; the security auditor (安全审计员) alone reads and
  verifies the audit log, and handles no case.
"""

from __future__ import annotations

from dataclasses import dataclass

# Which cases a role sees (services/scope.py renders each as a predicate and as SQL).
SCOPES = ("unit", "county", "city", "none")
# When a role may see petitioners in full (after an audited reveal with a reason).
PARTY_ACCESS = ("scope", "responsible_unit", "never")
# What a role may do beyond firing the workflow triggers its YAML lists it for.
PERMISSIONS = {
    "register": "登记信访事项",
    "cases": "查看信访事项",
    "lead_unit": "审批本单位延期申请、登记本单位人员回避",
    "supervise": "督办、追责问责、复查复核",
    "report_up": "向市级报告重大紧急信访事项",
    "administer": "管理用户、单位、节假日安排和工作流",
    "read_audit": "查阅和核验操作日志",
    "inbox": "站内消息",
}
ORDER_SIDES = ("decide", "answer")  # decide: issue, close, return; answer: reply in writing
# Organisational levels, lowest first: a decision taken at a level binds those below it.
LEVEL_RANK = {"county": 1, "city": 2}


@dataclass(frozen=True)
class NavEntry:
    label: str
    endpoint: str
    args: tuple[tuple[str, str], ...] = ()


NAV = {
    "register": NavEntry("登记", "reception.petition_new"),
    "cases": NavEntry("信访事项", "handling.inbox"),
    "unit_cases": NavEntry("待办信访事项", "handling.inbox"),
    "approvals": NavEntry("延期审批", "approval.extension_list"),
    "daily_notices": NavEntry("当日文书", "handling.daily_notices"),
    "dashboard": NavEntry("督办", "supervision.dashboard"),
    "orders": NavEntry("督办单", "orders.order_list", (("status", "unclosed"),)),
    "accountability": NavEntry("追责问责", "supervision.accountability_list"),
    "users": NavEntry("用户", "admin.users"),
    "units": NavEntry("单位", "admin.units"),
    "calendar": NavEntry("节假日安排", "admin.calendar"),
    "workflows": NavEntry("工作流", "admin.workflows"),
    "notice_texts": NavEntry("文书文本", "admin.notice_texts"),
    "audit": NavEntry("操作日志", "admin.audit"),
    "health": NavEntry("运行状况", "admin.health"),
}


@dataclass(frozen=True)
class Role:
    id: str
    label: str
    scope: str
    parties: str
    permissions: frozenset[str]
    home: str = ""  # endpoint of the start page after sign-in
    nav: tuple[str, ...] = ()
    order_sides: frozenset[str] = frozenset()
    account: bool = True  # a staff account may hold it
    stand_in: str | None = None  # who acts for it in a unit that has no user of this role
    demo_unit: str | None = None  # the demo unit (code suffix) that holds its demo account
    note: str = ""  # one line for the README
    public: bool = False  # acts from the public pages, authorised by the query code, not scope
    workflow: bool = True  # a workflow may name it in ``roles:``/``notify:`` lists
    assignable: bool = False  # a unit leader may name one of its holders a case's handler

    def may(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def level(self) -> str:
        """The organisational level a supervision decision of this role is taken at."""
        return "city" if self.scope == "city" else "county"


def _p(*names: str) -> frozenset[str]:
    return frozenset(names)


ROLE_TABLE: tuple[Role, ...] = (
    Role("reception", "接访员", "county", "scope", _p("register", "cases", "report_up", "inbox"),
         home="reception.petition_new", nav=("register", "cases", "daily_notices"), demo_unit="bureau",
         note="本县（区）信访局登记、研判、转送交办"),
    Role("handler", "承办人", "unit", "responsible_unit", _p("cases", "inbox"),
         home="handling.inbox", nav=("unit_cases", "orders"), order_sides=_p("answer"),
         stand_in="reception", demo_unit="hrss", assignable=True,
         note="责任单位办理、答复；首办单位移交后只能查看"),
    Role("unit_leader", "单位负责人", "unit", "never", _p("cases", "lead_unit", "inbox"),
         home="handling.inbox", nav=("unit_cases", "approvals", "orders"),
         order_sides=_p("answer"), demo_unit="hrss", note="审批延期、登记本单位人员回避"),
    Role("county_supervisor", "县级督办人员", "county", "scope",
         _p("cases", "supervise", "report_up", "inbox"), home="supervision.dashboard",
         nav=("cases", "dashboard", "orders", "accountability"), order_sides=_p("decide"),
         demo_unit="bureau", note="本县（区）督办、追责问责、复查"),
    Role("city_supervisor", "市级督办人员", "city", "never",
         _p("cases", "supervise", "inbox"), home="supervision.dashboard",
         nav=("cases", "dashboard", "orders", "accountability"), order_sides=_p("decide"),
         demo_unit="xinlianban", note="全市督办、挂牌督办、复核；信访人信息只见脱敏"),
    Role("admin", "系统管理员", "city", "never", _p("administer", "inbox"),
         home="admin.users", nav=("users", "units", "calendar", "workflows", "notice_texts",
                                  "health"),
         demo_unit="bureau", note="管理用户、单位、节假日和工作流；信访人信息只见脱敏，不能查看完整信息"),
    Role("auditor", "安全审计员", "none", "never", _p("read_audit", "inbox"),
         home="admin.audit", nav=("audit",), demo_unit="bureau", workflow=False,
         note="查阅和核验操作日志（三权分立：不管理账号，不办理信访事项）"),
    Role("petitioner", "信访人", "none", "never", _p(), account=False, public=True,
         note="信访人本人（工作流中的评价等环节）"),
    Role("system", "系统", "city", "never", _p("administer"), account=False, workflow=False,
         note="定时任务与命令行"),
    Role("unauthenticated", "未登录", "none", "never", _p(), account=False, workflow=False,
         note="尚未登录者（登录失败等审计记录）"),
)

ROLES_BY_ID = {r.id: r for r in ROLE_TABLE}
# Roles a staff account may hold, in the table's order (the order demo seeding and forms use).
ACCOUNT_ROLES = tuple(r.id for r in ROLE_TABLE if r.account)
# Roles a workflow may name in ``roles:`` (who fires a trigger) and ``notify:`` lists.
WORKFLOW_ROLES = tuple(r.id for r in ROLE_TABLE if r.workflow)
NOTIFY_ROLES = tuple(r for r in ACCOUNT_ROLES if ROLES_BY_ID[r].may("inbox")
                     and ROLES_BY_ID[r].workflow)
# Roles that may hold a clock (复查/复核 decisions, ``held_by``): the supervisors.
HOLDER_ROLES = tuple(r.id for r in ROLE_TABLE if r.may("supervise"))
ROLE_LABELS = {r.id: r.label for r in ROLE_TABLE}
# Roles a unit leader may name as a case's handler (承办人, services/assignment.py).
ASSIGNABLE_ROLES = tuple(r.id for r in ROLE_TABLE if r.assignable)
# Roles whose scope is their unit (承办单位): they act only while their unit is responsible.
UNIT_ROLES = tuple(r.id for r in ROLE_TABLE if r.scope == "unit")
SYSTEM_ROLE = "system"
SIGNED_OUT_ROLE = "unauthenticated"  # who a failed sign-in is audited as
SYSTEM_NAME = "system"


def role(role_id: str) -> Role:
    """The role's row; an unknown role (a stale account) may do nothing and see nothing."""
    return ROLES_BY_ID.get(role_id) or Role(role_id, role_id, "none", "never", frozenset(),
                                            account=False)


def roles_with(permission: str) -> tuple[str, ...]:
    return tuple(r.id for r in ROLE_TABLE if r.may(permission))


def roles_on_side(side: str) -> tuple[str, ...]:
    return tuple(r.id for r in ROLE_TABLE if side in r.order_sides)


def roles_markdown() -> str:
    """The README's table of roles, generated from this one (a test keeps them equal)."""
    access = {"scope": "可查看完整信息（须填写事由，记入日志）",
              "responsible_unit": "本单位承办期间可查看完整信息（须填写事由）",
              "never": "只见脱敏信息，不能查看完整信息"}
    scope = {"unit": "本单位承办或首办的事项",
             "county": "本县（区）的事项（市级单位的账号另见本市交办、转送下级和县区上报的事项）",
             "city": "全市各县（区）的事项", "none": "无"}
    lines = ["| 角色 | 标识 | 可见范围 | 信访人信息 | 职责 |", "|---|---|---|---|---|"]
    for r in ROLE_TABLE:
        if not r.account:
            continue
        seen = scope[r.scope] if r.may("cases") or r.scope == "none" else \
            "不办理信访事项；在系统管理页面只读查看（脱敏）"
        lines.append(f"| {r.label} | `{r.id}` | {seen} | {access[r.parties]} | {r.note} |")
    return "\n".join(lines)

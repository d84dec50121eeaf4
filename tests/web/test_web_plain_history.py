"""The history, the audit log and the case page say in Chinese what was done and entered:
states by their labels, people by name (login on hover), the system once, every step's
inputs in 办理结果, every action selectable in the audit filter."""

from __future__ import annotations

import re

from sqlalchemy import update

from petition_flow.domain.labels import AUDIT_ACTIONS
from petition_flow.models import User
from tests.web.conftest import text
from tests.web.oversight_helpers import open_order, swept_red

STEPS = ["classify", "transfer", "accept", "reply", "deliver", "evaluate"]


def named(session) -> None:
    session.execute(update(User).where(User.username == "handler.meixian")
                    .values(display_name="眉县人社局李明"))
    session.commit()


def test_the_case_page_shows_every_steps_inputs_in_a_results_section(as_user, cases, session):
    case = cases.walk(STEPS, county="jintai")
    case_id = case.id
    session.commit()
    page = text(as_user("county_supervisor.jintai").get(f"/cases/{case_id}"))
    results = page.split('id="results"')[1].split("</section>")[0]
    for shown in ("出具处理意见书", "解释说明", "经调查核实", "《信访工作条例》第三十二条",
                  "送达方式", "当面送达", "送达日期", "签收情况", "签收", "满意度评价", "满意",
                  "办理及时。", "承办单位", "金台区人力资源和社会保障局"):
        assert shown in results, shown


def test_the_follow_up_record_is_shown_after_a_dissatisfied_evaluation(as_user, cases, session):
    case = cases.walk(STEPS[:-1])
    case = cases.fire(case, "evaluate", {"rating": "dissatisfied", "comment": "补发不全"})
    case = cases.fire(case, "follow_up", {"record": "上门回访，信访人表示将等待补发结果。"})
    session.commit()
    page = text(as_user("handler.meixian").get(f"/cases/{case.id}"))
    results = page.split('id="results"')[1].split("</section>")[0]
    assert "回访情况" in results and "上门回访，信访人表示将等待补发结果。" in results
    assert "不满意" in results and "补发不全" in results


def test_a_met_deadline_says_so(as_user, cases, session):
    case = cases.walk(["classify", "transfer", "accept"], county="jintai")
    session.commit()
    page = text(as_user("handler.jintai").get(f"/cases/{case.id}"))
    clocks = page.split('class="clocks"')[1].split("</table>")[0]
    assert "按期办结" in clocks and "已停止" not in clocks


def test_the_audit_log_names_states_people_and_the_system_in_chinese(
        as_user, cases, session):
    named(session)
    case_id, case_no, *_ = swept_red(cases, session)
    page = text(as_user("auditor.baoji").get(f"/admin/audit?case_no={case_no}"))
    table = page.split('<table class="audit">')[1].split("</table>")[0]
    assert "待受理 → 调查处理中" in table and "under_handling" not in table
    assert '<span class="person" title="登录名 handler.meixian">眉县人社局李明</span>' in table
    assert "发出红色超期" in table and ">系统</span></td><td></td>" in table
    shown = re.sub(r'title="[^"]*"', "", table)
    assert "system" not in shown and "handler.meixian" not in shown
    assert "截止日期" in table and "生成追责问责记录" in table


def test_the_audit_filter_offers_every_action_by_its_label(as_user, session):
    page = text(as_user("auditor.baoji").get("/admin/audit"))
    select_html = page.split('name="action"')[1].split("</select>")[0]
    for action, label in AUDIT_ACTIONS.items():
        assert re.search(rf'<option value="{action}"\s*>{re.escape(label)}</option>',
                         select_html), action
    page = text(as_user("auditor.baoji").get("/admin/audit?action=scheduler_lease_taken"))
    assert 'value="scheduler_lease_taken" selected' in page


def test_a_supervision_order_reply_names_its_author(as_user, cases, session, world):
    named(session)
    order_id, *_ = open_order(cases, session, world)
    handler = as_user("handler.meixian")
    handler.post(f"/orders/{order_id}/reply", {"reply": "已约谈用人单位，工资已付清。"})
    page = text(as_user("county_supervisor.meixian").get(f"/orders/{order_id}"))
    author = re.search(r'class="muted reply-author">([^<]*)', page).group(1)
    assert author.startswith("眉县人社局李明")

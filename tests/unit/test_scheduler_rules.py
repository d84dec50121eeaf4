"""Accountability rules in the workflow file, notification settings and retry backoff."""

from __future__ import annotations

from datetime import timedelta

import pytest

from petition_flow.domain.loader import load_workflow_text
from petition_flow.errors import WorkflowError
from petition_flow.paths import templates_dir, workflows_dir
from petition_flow.services.notify import NotifyConfig, backoff, webhook_payload

SOURCE = (workflows_dir() / "meixian_six_step.yaml").read_text("utf-8")
SECTION = "accountability:\n"


def with_accountability(body: str) -> str:
    start = SOURCE.index(SECTION)
    end = SOURCE.index("\n\n", start)
    return SOURCE[:start] + SECTION + body + SOURCE[end:]


def load(text: str):
    return load_workflow_text(text, "test.yaml", templates_dir())


def test_the_default_workflow_names_article_44_for_acceptance_and_45_for_handling() -> None:
    spec = load(SOURCE)
    assert spec.accountability["acceptance_notice"].article == "信访工作条例第四十四条"
    assert spec.accountability["handling"].article == "信访工作条例第四十五条"
    assert "review_request" not in spec.accountability


@pytest.mark.parametrize(("body", "message"), [
    ("  nowhere: {article: 第四十五条, ground: 超期}\n", "accountability.nowhere: 未知期限“nowhere”"),
    ("  review_request: {article: 第四十五条, ground: 超期}\n",
     "accountability.review_request: 信访人的申请期限不是机关的法定职责"),
    ("  handling: {ground: 超期}\n", "accountability.handling.article: 缺少违反的条款"),
    ("  handling: {article: 第四十五条, ground: 超期, penalty: 记过}\n",
     "accountability.handling.penalty: 未知的键"),
])
def test_the_loader_rejects_a_bad_accountability_rule_naming_the_key(body, message) -> None:
    with pytest.raises(WorkflowError) as caught:
        load(with_accountability(body))
    assert message in caught.value.message


def test_notification_settings_come_from_petition_flow_variables() -> None:
    config = NotifyConfig.from_mapping({
        "PETITION_FLOW_SMTP_HOST": "smtp.baoji.example", "PETITION_FLOW_SMTP_PORT": "587",
        "PETITION_FLOW_SMTP_STARTTLS": "true", "PETITION_FLOW_SMTP_FROM": "xf@baoji.example",
        "PETITION_FLOW_WEBHOOK_URLS": "https://qyapi.example/send?key=a, https://b.example/h",
    })
    assert (config.smtp_host, config.smtp_port, config.smtp_starttls) == (
        "smtp.baoji.example", 587, True)
    assert config.email_enabled and config.smtp_from == "xf@baoji.example"
    assert config.webhook_urls == ("https://qyapi.example/send?key=a", "https://b.example/h")
    assert not NotifyConfig.from_mapping({}).email_enabled
    assert NotifyConfig.from_mapping({}).webhook_urls == ()


def test_retries_back_off_from_one_minute_doubling_up_to_an_hour() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(7) == timedelta(hours=1) and backoff(500) == timedelta(hours=1)


def test_the_webhook_body_is_an_enterprise_chat_text_message() -> None:
    assert webhook_payload("【红色超期】X", "正文") == {
        "msgtype": "text", "text": {"content": "【红色超期】X\n正文"}}


def test_the_instance_config_file_overrides_the_environment(tmp_path, monkeypatch) -> None:
    (tmp_path / "config.py").write_text(
        'PETITION_FLOW_SMTP_HOST = "mail.instance.example"\n'
        'PETITION_FLOW_WEBHOOK_URLS = ["https://robot.example/send?key=k"]\n', "utf-8")
    monkeypatch.setenv("PETITION_FLOW_INSTANCE", str(tmp_path))
    monkeypatch.setenv("PETITION_FLOW_SMTP_HOST", "mail.env.example")
    monkeypatch.setenv("PETITION_FLOW_SMTP_PORT", "2525")
    config = NotifyConfig.load()
    assert (config.smtp_host, config.smtp_port) == ("mail.instance.example", 2525)
    assert config.webhook_urls == ("https://robot.example/send?key=k",)


def test_review_clocks_are_held_by_the_supervisors_and_a_bad_holder_is_rejected() -> None:
    spec = load(SOURCE)
    assert spec.clocks["review_decision"].held_by == "county_supervisor"
    assert spec.clocks["recheck_decision"].held_by == "city_supervisor"
    assert spec.clocks["handling"].held_by is None
    bad = SOURCE.replace("held_by: city_supervisor", "held_by: handler")
    with pytest.raises(WorkflowError) as caught:
        load(bad)
    assert "clocks.recheck_decision.held_by: 只能是 county_supervisor 或 city_supervisor" in \
        caught.value.message

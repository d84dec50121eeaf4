"""Forms of the supervision order pages (督办单)."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField


def parse_date(value: str | None) -> date | None:
    """A date input's value, or None; the service says in Chinese what is wrong with it."""
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


class IssueOrderForm(FlaskForm):
    requirements = TextAreaField("督办要求", render_kw={"rows": 5})
    due_date = StringField("督办期限", render_kw={"type": "date"})
    listed = BooleanField("挂牌督办")
    alert_id = HiddenField()


class ReplyForm(FlaskForm):
    reply = TextAreaField("书面回复", render_kw={"rows": 5})


class CloseForm(FlaskForm):
    note = TextAreaField("办结意见", render_kw={"rows": 3})


class ReturnForm(FlaskForm):
    note = TextAreaField("退回理由", render_kw={"rows": 3})
    due_date = StringField("新的督办期限", render_kw={"type": "date"})

"""The registration form (登记表): fields only; the rules live in services/registration.py."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)

from ...services.notices import CHANNELS
from ...services.registration import MAX_REPRESENTATIVES
from ..common import options

LONG_TEXT = {"data-limit": 4000}  # the server's limit; app.js counts toward it


class PetitionerForm(Form):
    name = StringField("姓名")
    id_number = StringField("身份证号")
    phone = StringField("联系电话")
    address = StringField("住址")
    representative = BooleanField("代表")


class PetitionForm(FlaskForm):
    channel = SelectField("信访形式", choices=options(CHANNELS.items()))
    received_at = StringField("收到时间")
    summary = StringField("事项摘要")
    request = TextAreaField("信访诉求", render_kw=LONG_TEXT)
    facts_and_reasons = TextAreaField("事实和理由", render_kw=LONG_TEXT)
    attachments = TextAreaField("附件说明", render_kw={"data-limit": 1000})
    anonymous = BooleanField("匿名信访")
    collective = BooleanField(f"集体访（推选代表不超过{MAX_REPRESENTATIVES}人）")
    major_urgent = BooleanField("重大紧急")
    # No max_entries: WTForms would silently drop the rest; the service refuses more than
    # MAX_PETITIONERS with a message, as for the API.
    petitioners = FieldList(FormField(PetitionerForm), min_entries=1)
    repeat_of_id = StringField("关联的信访事项")
    repeat_reason = TextAreaField("不作重复信访处理、继续登记的理由")
    late_reason = TextAreaField("延迟登记的理由")

    def command(self) -> dict:
        """The dict register_petition takes."""
        return {
            "channel": self.channel.data, "received_at": self.received_at.data or None,
            "summary": self.summary.data, "request": self.request.data,
            "facts_and_reasons": self.facts_and_reasons.data,
            "attachments": self.attachments.data, "anonymous": self.anonymous.data,
            "collective": self.collective.data, "major_urgent": self.major_urgent.data,
            "petitioners": [entry.data for entry in self.petitioners],
            "repeat_of_id": self.repeat_of_id.data or None,
            "repeat_reason": self.repeat_reason.data or None,
            "late_reason": self.late_reason.data or None,
        }

"""Forms of the public pages: fields only; the rules live in services/online.py (the
registration contract), services/portal.py and services/feedback.py."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField

from ...services.feedback import RATINGS
from ..common import options

LONG_TEXT = {"data-limit": 4000}  # the server's limit; app.js counts toward it


class QueryForm(FlaskForm):
    case_no = StringField("信访件编号")
    query_code = StringField("查询码")


class SubmitForm(FlaskForm):
    county = SelectField("信访事项所在县（区）", choices=[])
    name = StringField("姓名")
    id_number = StringField("身份证号")
    phone = StringField("联系电话")
    address = StringField("住址")
    summary = StringField("事项摘要")
    request = TextAreaField("信访诉求", render_kw=LONG_TEXT)
    facts_and_reasons = TextAreaField("事实和理由", render_kw=LONG_TEXT)
    consent = BooleanField("我已阅读《信访人权利义务告知书》，将如实反映情况，依法有序信访")
    website = StringField("网址")  # honeypot: hidden from people, filled by robots
    started = HiddenField()

    def set_counties(self, regions) -> None:
        self.county.choices = options((r.code, r.name) for r in regions)

    def command(self) -> dict:
        """The registration dict (services/registration.py's contract)."""
        return {
            "summary": self.summary.data, "request": self.request.data,
            "facts_and_reasons": self.facts_and_reasons.data, "attachments": "",
            "anonymous": False, "collective": False,
            "petitioners": [{"name": self.name.data, "id_number": self.id_number.data,
                             "phone": self.phone.data, "address": self.address.data}],
        }


class EvaluationForm(FlaskForm):
    unit_rating = RadioField("对承办单位办理结果的评价", choices=options(RATINGS.items(), placeholder=False))
    bureau_rating = RadioField("对信访工作机构工作的评价", choices=options(RATINGS.items(), placeholder=False))
    comment = TextAreaField("评价意见（可不填）")


class RequestForm(FlaskForm):
    reasons = TextAreaField("请求及理由", render_kw=LONG_TEXT)


class LeaveForm(FlaskForm):
    pass

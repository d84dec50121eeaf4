"""Forms for a workflow's actions, built from the trigger's InputSpecs (no rule repeated here)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ...domain.spec import InputSpec, TriggerSpec
from ..common import options


def _field(spec: InputSpec, unit_choices: list[tuple[int, str]]):
    label = spec.label
    if spec.type == "choice":
        return SelectField(label, choices=options(spec.choices))
    if spec.type == "unit":
        return SelectField(label, choices=options(unit_choices))
    if spec.type == "bool":
        return BooleanField(label)
    if spec.type == "date":
        return StringField(label, render_kw={"type": "date"})
    if spec.type == "int":
        kw = {"type": "number", "min": spec.min, "max": spec.max}
        return StringField(label, render_kw={k: v for k, v in kw.items() if v is not None})
    return TextAreaField(label, render_kw={"rows": 3, "data-limit": 4000})  # engine's limit


def trigger_form(trigger: TriggerSpec, unit_choices: list[tuple[int, str]], *,
                 version: int, formdata=None):
    """A form named after the trigger (field names ``<trigger>-<input>``) with the case version."""

    class ActionForm(FlaskForm):
        version_id = HiddenField()

    for spec in trigger.inputs:
        setattr(ActionForm, spec.name, _field(spec, unit_choices))
    form = ActionForm(formdata=formdata, prefix=trigger.name)
    if formdata is None:
        form.version_id.data = str(version)
    form.trigger = trigger
    return form


class RevealForm(FlaskForm):
    reason = StringField("查看理由")


class ReportUpForm(FlaskForm):
    """重大紧急信访事项向市级报告 (信访工作条例第二十五条)."""

    reason = TextAreaField("情况说明", render_kw={"rows": 3})


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (readable, and works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):  # the service judges the choices, in Chinese
        pass


class AccusedForm(FlaskForm):
    """被检举控告对象 (信访工作条例第三十条第三款): units and users of the system, free names."""

    version_id = HiddenField()
    units = CheckboxesField("被检举控告单位", coerce=str)
    users = CheckboxesField("被检举控告人（本系统用户）", coerce=str)
    names = TextAreaField("其他被检举控告人姓名", render_kw={"rows": 2})
    reason = StringField("变更理由")


class RecusalForm(FlaskForm):
    """回避 (第二十八条第三款): for oneself, or (a unit leader) for a member of the unit."""

    member = SelectField("回避人员", choices=[], validate_choice=False)
    reason = TextAreaField("回避理由", render_kw={"rows": 2})

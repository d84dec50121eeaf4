from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import PasswordField, SelectField, StringField

from ...domain.roles import ACCOUNT_ROLES, ROLE_LABELS
from ...services.accounts import UNIT_KINDS
from ..common import options

ROLE_CHOICES = [(r, ROLE_LABELS[r]) for r in ACCOUNT_ROLES]


class UserForm(FlaskForm):
    username = StringField("用户名")
    display_name = StringField("姓名")
    password = PasswordField("初始密码")
    unit_id = SelectField("所在单位", choices=[])
    role = SelectField("角色", choices=options(ROLE_CHOICES))


class ResetPasswordForm(FlaskForm):
    password = PasswordField("新密码")


class UnitForm(FlaskForm):
    code = StringField("单位代码")
    name = StringField("单位名称")
    kind = SelectField("单位类型", choices=options(UNIT_KINDS.items()))
    region_id = SelectField("所属地区", choices=[])


class CalendarForm(FlaskForm):
    file = FileField("节假日安排文件（YAML）")


class ActionForm(FlaskForm):
    """A button that posts (deactivate, verify…): only the CSRF token."""

"""Signing in and out, session expiry, changing one's password, and the start page per role."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask import session as http_session
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField

from ..errors import PetitionFlowError
from ..extensions import login_manager
from ..models import User
from ..services import accounts
from ..services.actor import Actor
from ..services.contacts import contact_email, set_contact_email
from .common import apply_errors, db, now

bp = Blueprint("auth", __name__)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; font-src 'self' data:; object-src 'none'; "
                               "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
}


class LoginUser(UserMixin):
    """The signed-in user; the session id changes with the password, ending older sessions."""

    def __init__(self, user: User):
        self.user = user
        self.actor = Actor.of(user)

    def get_id(self) -> str:
        return f"{self.user.id}:{fingerprint(self.user)}"


def fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def install_login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load(user_id: str):
        uid, _, mark = user_id.partition(":")
        if not uid.isdigit():
            return None
        user = db().get(User, int(uid))
        if user is None or not user.active or mark != fingerprint(user):
            return None
        return LoginUser(user)

    @app.after_request
    def _protect(response):
        # Reception windows are shared terminals: pages with petitioner data are never cached.
        if current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        return response

    @app.before_request
    def _expire_idle_sessions():
        if not current_user.is_authenticated:
            return None
        stamp = now().timestamp()
        seen = http_session.get("seen")
        idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"]).total_seconds()
        if seen is not None and stamp - seen > idle:
            logout_user()
            http_session.clear()
            flash("长时间未操作，登录已超时，请重新登录。", "info")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        http_session["seen"] = stamp
        return None


class LoginForm(FlaskForm):
    username = StringField("用户名")
    password = PasswordField("密码")


class PasswordForm(FlaskForm):
    old_password = PasswordField("原密码")
    new_password = PasswordField("新密码")
    confirm = PasswordField("确认新密码")


class EmailForm(FlaskForm):
    email = EmailField("电子邮箱")


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    home = current_user.actor.role_def.home  # the roles table names each role's start page
    return redirect(url_for(home or "inbox.message_list"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    if request.method == "POST":
        try:
            user = accounts.authenticate(db(), form.username.data or "",
                                         form.password.data or "", now())
        except PetitionFlowError as exc:
            error = exc.message
        else:
            http_session.clear()
            http_session.permanent = True
            login_user(LoginUser(user))
            http_session["seen"] = now().timestamp()
            return redirect(_safe_next(request.args.get("next")) or url_for("auth.home"))
    return render_template("auth/login.html", form=form, error=error), 401 if error else 200


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    http_session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password_change():
    form = PasswordForm()
    errors: list[str] = []
    if request.method == "POST":
        try:
            user = accounts.change_password(db(), current_user.actor, now(),
                                            form.old_password.data or "",
                                            form.new_password.data or "",
                                            form.confirm.data or "")
        except PetitionFlowError as exc:
            errors = [exc.message, *apply_errors(form, exc)]
        else:
            login_user(LoginUser(user))  # the session follows the new password
            flash("密码已修改。", "success")
            return redirect(url_for("auth.home"))
    return _profile(form=form, errors=errors)


def _profile(*, form=None, errors=(), email_form=None, email_errors=(), status=200):
    """个人设置: one's email address (for digests and alerts by email) and password."""
    if email_form is None:
        email_form = EmailForm(formdata=None, email=contact_email(db(), current_user.actor))
    if form is None:
        form = PasswordForm(formdata=None)
    return render_template("auth/password.html", form=form, errors=list(errors),
                           email_form=email_form,
                           email_errors=list(email_errors)), 400 if errors else status


@bp.route("/account/email", methods=["POST"])
@login_required
def email_change():
    form = EmailForm()
    try:
        email = set_contact_email(db(), current_user.actor, now(), form.email.data)
    except PetitionFlowError as exc:
        return _profile(email_form=form, email_errors=apply_errors(form, exc), status=400)
    flash(f"电子邮箱已设置为 {email}，督办日报和预警将同时发送到该邮箱。" if email
          else "已删除电子邮箱，今后只在站内消息中提醒。", "success")
    return redirect(url_for("auth.password_change"))

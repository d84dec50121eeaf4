"""Signing in and out, server-side sessions and their limits, changing one's password, one's
own sessions, and the start page per role."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as http_session
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField

from ..errors import PetitionFlowError
from ..extensions import login_manager
from ..models import User, UserSession
from ..services import accounts
from ..services.actor import Actor
from ..services.contacts import contact_email, set_contact_email
from ..services.passwords import change_required
from ..services.security import Client, PasswordPolicy, SessionLimits, ThrottlePolicy
from .common import apply_errors, db, now, raise_http

bp = Blueprint("auth", __name__)

# What a user who must change their password may still reach.
OPEN_WHILE_CHANGING = {"auth.password_change", "auth.logout", "auth.login", "static"}
ENDED = {"idle": "长时间未操作，登录已超时，请重新登录。",
         "absolute": "登录时间已达上限，请重新登录。",
         "inactive": "该账号已停用，请联系系统管理员。"}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; font-src 'self' data:; object-src 'none'; "
                               "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
}


class LoginUser(UserMixin):
    """The signed-in user; Flask-Login keeps the session token, which names a session row."""

    def __init__(self, user: User, token: str, row: UserSession | None = None):
        self.user = user
        self.token = token
        self.row = row
        self.actor = Actor.of(user, request.remote_addr)  # built per request (user_loader)

    def get_id(self) -> str:
        return self.token


def client() -> Client:
    return Client.of(request.remote_addr, request.user_agent.string)


def policy() -> PasswordPolicy:
    return PasswordPolicy.of(current_app.config)


def throttle() -> ThrottlePolicy:
    return ThrottlePolicy.of(current_app.config)


def install_login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "info"
    # The cookie lasts as long as the browser; the server enforces the idle and absolute
    # limits. With a non-permanent cookie, "strong" really drops a session whose address or
    # browser changed (with a permanent one Flask-Login only marks it not fresh).
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load(token: str):
        found = accounts.resume_session(db(), token, now(), SessionLimits.of(app.config))
        if found.user is None:
            g.session_ended = found.ended
            return None
        return LoginUser(found.user, token, found.row)

    @app.after_request
    def _protect(response):
        # Reception windows are shared terminals: pages with petitioner data are never cached.
        # Static files hold none: they keep the cache rule of proxy.py (versioned: a year).
        if (request.blueprint != "api" and request.endpoint != "static"
                and current_user.is_authenticated):
            response.headers["Cache-Control"] = "no-store"
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        return response

    @app.before_request
    def _session_gate():
        if request.blueprint == "api":
            return None  # bearer tokens, not cookies
        if not current_user.is_authenticated:
            ended = g.pop("session_ended", None)
            if ended:
                http_session.clear()
                flash(ENDED[ended], "info")
                return redirect(url_for("auth.login", next=_next_here()))
            return None
        if request.endpoint not in OPEN_WHILE_CHANGING:
            reason = change_required(current_user.user, policy(), now())
            if reason:
                flash(reason, "info")
                return redirect(url_for("auth.password_change"))
        return None


def _next_here() -> str | None:
    return request.full_path.rstrip("?") if request.method == "GET" else None


class LoginForm(FlaskForm):
    username = StringField("用户名")
    password = PasswordField("密码")


class PasswordForm(FlaskForm):
    old_password = PasswordField("原密码")
    new_password = PasswordField("新密码")
    confirm = PasswordField("确认新密码")


class EmailForm(FlaskForm):
    email = EmailField("电子邮箱")


class ActionForm(FlaskForm):
    """A button that posts: only the CSRF token."""


def safe_next(target: str | None) -> str | None:
    """``next`` only as a path on this host: no scheme, no host, no backslash (browsers read
    it as a slash), no control character (browsers drop tabs and newlines, turning
    ``/%09/evil.example`` into ``//evil.example``), and no scheme-relative ``//``."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return None
    if "\\" in target or any(ord(ch) < 33 or ord(ch) == 127 for ch in target):
        return None
    if target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    home = current_user.actor.role_def.home  # the roles table names each role's start page
    return redirect(url_for(home or "inbox.message_list"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error, status = None, 200
    if request.method == "POST":
        try:
            signed = accounts.sign_in(db(), form.username.data or "", form.password.data or "",
                                      now(), client(), throttle(), policy())
        except accounts.LoginThrottled as exc:
            error, status = exc.message, 429
        except PetitionFlowError as exc:
            error, status = exc.message, 401
        else:
            http_session.clear()  # a new session: nothing of the anonymous one carries over
            http_session.permanent = False
            login_user(LoginUser(signed.user, signed.token))
            if signed.change_reason:
                flash(signed.change_reason, "info")
                return redirect(url_for("auth.password_change"))
            return redirect(safe_next(request.args.get("next")) or url_for("auth.home"))
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        accounts.sign_out(db(), current_user.token, now())
    logout_user()
    http_session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password_change():
    form = PasswordForm()
    errors: list[str] = []
    status = 400
    if request.method == "POST":
        try:
            signed = accounts.change_password(db(), current_user.actor, now(),
                                              form.old_password.data or "",
                                              form.new_password.data or "",
                                              form.confirm.data or "", client=client(),
                                              throttle=throttle(), policy=policy())
        except accounts.LoginThrottled as exc:
            errors, status = [exc.message], 429
        except PetitionFlowError as exc:
            errors = [exc.message, *apply_errors(form, exc)]
        else:
            login_user(LoginUser(signed.user, signed.token))  # every older session has ended
            flash("密码已修改，其他已登录的会话均已退出。", "success")
            return redirect(url_for("auth.home"))
    return _profile(form=form, errors=errors, status=status if errors else 200)


def _profile(*, form=None, errors=(), email_form=None, email_errors=(), status=200):
    """个人设置: one's email address (for digests and alerts by email) and password."""
    if email_form is None:
        email_form = EmailForm(formdata=None, email=contact_email(db(), current_user.actor))
    if form is None:
        form = PasswordForm(formdata=None)
    return render_template("auth/password.html", form=form, errors=list(errors),
                           email_form=email_form, email_errors=list(email_errors),
                           password_hint=policy().describe()), status


@bp.route("/account/sessions")
@login_required
def session_list():
    rows = accounts.own_sessions(db(), current_user.actor)
    return render_template("auth/sessions.html", rows=rows, current=current_user.row,
                           action=ActionForm())


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def session_end(session_id: int):
    mine = current_user.row is not None and current_user.row.id == session_id
    try:
        accounts.end_own_session(db(), current_user.actor, now(), session_id)
    except PetitionFlowError as exc:
        raise_http(exc)
        raise
    if mine:
        logout_user()
        http_session.clear()
        flash("本会话已结束，请重新登录。", "info")
        return redirect(url_for("auth.login"))
    flash("该会话已结束。", "success")
    return redirect(url_for("auth.session_list"))


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

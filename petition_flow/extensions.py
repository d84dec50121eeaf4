"""Unbound Flask extensions, initialised in create_app."""

from __future__ import annotations

from flask_login import LoginManager
from flask_wtf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()

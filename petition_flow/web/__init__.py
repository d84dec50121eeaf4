"""The staff web application: one blueprint per role, server-rendered Chinese pages.

Everything here imports Flask; nothing here commits. Each view validates a form,
calls one service, maps a PetitionFlowError to field errors or a 403/404 page,
and redirects.
"""

from __future__ import annotations

from flask import Flask

from . import errors, filters, once
from .auth import bp as auth_bp
from .auth import install_login


def register_web(app: Flask) -> None:
    from .admin import bp as admin_bp
    from .approval import bp as approval_bp
    from .common import query_args
    from .handling import bp as handling_bp
    from .inbox import bp as inbox_bp
    from .inbox import install as install_inbox
    from .orders import bp as orders_bp
    from .public import bp as public_bp
    from .reception import bp as reception_bp
    from .supervision import bp as supervision_bp

    app.add_template_global(query_args, "query_args")
    install_login(app)
    for bp in (auth_bp, reception_bp, handling_bp, approval_bp, supervision_bp, orders_bp,
               inbox_bp, admin_bp, public_bp):
        app.register_blueprint(bp)
    install_inbox(app)
    errors.install(app)
    filters.install(app)
    once.install(app)

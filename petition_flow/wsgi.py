"""The WSGI application for a separate web server: ``gunicorn petition_flow.wsgi:app``
(deploy/systemd/petition-flow-web.service) or ``waitress-serve petition_flow.wsgi:app``
(deploy/windows.md). Importing it configures logging (logs.py) and checks the settings as
``petition-flow serve`` does: a wrong setting is logged, one Chinese line each, and the
process exits with status 3, which gunicorn takes as "the application cannot boot" and stops
instead of restarting workers forever.
"""

from __future__ import annotations

import logging
import sys

from . import logs
from .app import create_app
from .settings import SettingsError, check_app_settings

log = logging.getLogger("petition_flow.wsgi")
BOOT_ERROR = 3  # gunicorn's WORKER_BOOT_ERROR


def load():
    logs.configure()
    try:
        application = create_app()
        problems = check_app_settings(application.config)
    except SettingsError as exc:
        problems = list(exc.problems)
    if problems:
        for line in [*problems, "设置有误，服务未启动。"]:
            log.error("%s", line)
        sys.exit(BOOT_ERROR)
    return application


app = load()

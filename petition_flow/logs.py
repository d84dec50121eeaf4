"""Logging for every process — the web (``petition-flow serve``, gunicorn through
``petition_flow.wsgi``), the command line and the scheduler — configured here, once.

One line per record on standard error, timestamped in China time with its offset, whatever
the machine's time zone::

    2026-12-02T13:14:22.123+08:00 INFO petition_flow.scheduler: 调度器 … 取得租约，开始执行定时任务

The level of the ``petition_flow`` loggers is ``--log-level`` (``petition-flow --log-level
DEBUG scheduler``), else ``PETITION_FLOW_LOG_LEVEL``, else INFO; other libraries log at
WARNING and above. Under systemd standard error goes to the unit's log file
(deploy/systemd/*.service) or the journal.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import datetime

from . import clock

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_LEVEL = "INFO"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class ChinaTimeFormatter(logging.Formatter):
    """ISO 8601 timestamps in China time with the +08:00 offset."""

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's name)
        at = datetime.fromtimestamp(record.created, clock.CHINA_TZ)
        return at.isoformat(timespec="milliseconds")


class _StandardError(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of the record (not the stream of the
    moment it was configured), so a replaced or captured standard error is never written
    after it was closed."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def level_name(level: str | None = None) -> str:
    """The level to use: the argument, else PETITION_FLOW_LOG_LEVEL, else INFO; ValueError
    with a Chinese message for an unknown name."""
    name = (level or os.environ.get("PETITION_FLOW_LOG_LEVEL") or DEFAULT_LEVEL).strip().upper()
    if name not in LEVELS:
        raise ValueError(f"日志级别“{level or os.environ.get('PETITION_FLOW_LOG_LEVEL')}”无效："
                         f"应为 {'、'.join(LEVELS)} 之一（--log-level 或 PETITION_FLOW_LOG_LEVEL）。")
    return name


def configure(level: str | None = None) -> str:
    """Install the one handler (once per process) and set the level; returns the level."""
    name = level_name(level)
    root = logging.getLogger()
    if not any(isinstance(h, _StandardError) for h in root.handlers):
        handler = _StandardError()
        handler.setFormatter(ChinaTimeFormatter(FORMAT))
        root.addHandler(handler)
        if root.level == logging.NOTSET or root.level > logging.WARNING:
            root.setLevel(logging.WARNING)
    logging.getLogger("petition_flow").setLevel(name)
    return name

"""The scheduler: APScheduler 3 running a fixed set of jobs that call services.

Never one job per case: deadlines live in the database (``clocks.next_level_on``) and a
sweep every minute reads the due ones (anchors.md §4.5). The jobs:

- ``lease``   every 10 s: take or renew the database lease (30 s); only its holder runs the
  rest, and a process that takes the lease sweeps at once;
- ``sweep``   every minute: ``sweep_deadlines`` (alerts, accountability records);
- ``deliver`` every 30 s: send the outbox (email, webhook), retrying failures with backoff;
- ``checkpoint`` every 10 minutes (PETITION_FLOW_CHECKPOINT_INTERVAL seconds): sign the audit
  chain's head into the checkpoint file when it has moved (services/checkpoints.py);
- ``documents`` every minute: render, keep and audit the PDFs of up to ten notices issued
  without one (a step never waits for a PDF; services/noticefiles.py ``render_pending``);
- ``digest``  08:30 China time daily: the supervisors' digest (skipped on non-working days);
  on taking the lease after 08:30 it is sent at once if today's has not gone out;
- ``statistics`` 03:30 China time daily: fresh planner statistics (``refresh_statistics``,
  services/dbutil.py), so the counts and lists keep the plans they were written for.

Jobs live in a MemoryJobStore (nothing pickled), coalesce missed runs into one, have a
misfire grace time and never overlap themselves; each opens its own session and a failing
job is logged, never fatal to the scheduler. Several schedulers may be started by mistake
(several web workers, a standby): the lease makes exactly one of them act, and another takes
over once the active one's lease expires. The unique constraints under the alerts make even
a double run harmless.

``petition-flow scheduler`` runs it in the foreground as its own process (BlockingScheduler);
``start_embedded_scheduler(app_or_engine)`` runs it in a background thread of the embedded
single process (``petition-flow serve``).
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from . import clock
from .db import make_session_factory
from .services.alerts import sweep_deadlines
from .services.checkpoints import write_checkpoint
from .services.dbutil import refresh_statistics
from .services.digest import send_digests
from .services.lease import acquire_lease, lease_holder, record_sweep, release_lease
from .services.noticefiles import render_pending
from .services.notify import NotifyConfig, deliver_pending

log = logging.getLogger("petition_flow.scheduler")

DIGEST_AT = time(8, 30)
STATISTICS_AT = time(3, 30)  # a quiet hour: ANALYZE reads every table (bounded on SQLite)
# Takeover: a standby notices an expired lease at its next renewal, so a dead scheduler is
# replaced within LEASE_TTL + RENEW_EVERY seconds (40 s), and the new holder sweeps at once:
# "within a minute", as the README says. The ttl is three renewals, so one slow renewal (a
# busy database) does not lose the lease.
LEASE_TTL = 30.0
RENEW_EVERY = 10.0
TAKEOVER_WITHIN = LEASE_TTL + RENEW_EVERY
JOB_IDS = ("lease", "sweep", "deliver", "checkpoint", "documents", "digest", "statistics")


def checkpoint_interval() -> float:
    return float(os.environ.get("PETITION_FLOW_CHECKPOINT_INTERVAL") or 600)


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SchedulerRunner:
    """One scheduler process's jobs, lease and sessions."""

    def __init__(self, engine: Engine, *, config: NotifyConfig | None = None,
                 holder: str | None = None, blocking: bool = False,
                 lease_ttl: float = LEASE_TTL, renew_every: float = RENEW_EVERY,
                 sweep_every: float = 60,
                 deliver_every: float = 30, checkpoint_every: float | None = None,
                 documents_every: float = 60):
        self.Session = make_session_factory(engine)
        self.config = config or NotifyConfig.load()
        self.holder = holder or default_holder()
        self.lease_ttl = timedelta(seconds=lease_ttl)
        self.intervals = {"lease": renew_every, "sweep": sweep_every, "deliver": deliver_every,
                          "checkpoint": checkpoint_every or checkpoint_interval(),
                          "documents": documents_every}
        self._lease_until: datetime | None = None
        self._standby_said: datetime | None = None  # when the first standby line was logged
        self._lock = threading.Lock()
        self._passed_over: set[int] = set()  # notices the documents job may not archive
        self.scheduler = self._build(BlockingScheduler if blocking else BackgroundScheduler)

    # --- lease -----------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        """True while this process holds an unexpired lease."""
        with self._lock:
            return self._lease_until is not None and clock.now() < self._lease_until

    def renew_lease(self) -> bool:
        now = clock.now()
        was_active = self.active
        try:
            with self.Session() as session:
                held = acquire_lease(session, self.holder, now, self.lease_ttl)
        except Exception:
            log.exception("续租调度租约失败（数据库不可用？），租约到期前仍视为有效")
            return self.active
        with self._lock:
            self._lease_until = now + self.lease_ttl if held else None
            first = self._standby_said is None and not held
            if first:
                self._standby_said = now
        if held and not was_active:
            log.info("调度器 %s 取得租约，处于工作状态，开始执行定时任务", self.holder)
            self.run_job("sweep", self._sweep)  # a takeover does not wait for the next minute
            self._catch_up_digest(now)
        elif was_active and not held:
            log.warning("调度器 %s 失去租约，转为待命状态，停止执行定时任务", self.holder)
        elif first:
            self._log_standby()
        return held

    def _log_standby(self) -> None:
        try:
            with self.Session() as session:
                other = lease_holder(session, clock.now())
        except Exception:
            other = None
        log.info("调度器 %s 处于待命状态：租约由 %s 持有，对方停止后约%d秒内接替", self.holder,
                 other or "其他调度器", int(TAKEOVER_WITHIN))

    def _catch_up_digest(self, now: datetime) -> None:
        # Started (or taken over) after 08:30: today's digest may not have gone out yet;
        # send_digests is once per user and day and does nothing on non-working days.
        if now.astimezone(clock.CHINA_TZ).time() >= DIGEST_AT:
            self.run_job("digest", self._digest)

    # --- jobs ------------------------------------------------------------------------------

    def _sweep(self, session, now):
        result = sweep_deadlines(session, now, config=self.config)
        record_sweep(session, self.holder, now)
        took = (clock.now() - now).total_seconds() * 1000
        # One INFO line per sweep, also when nothing is due: a silent log means a stopped
        # scheduler, not a quiet day.
        log.info("期限扫描：检查到期期限 %d 个，新发预警 %d 条（红 %d，黄 %d，蓝 %d），用时 %.0f ms",
                 result.examined, len(result.alerts), result.count("red"),
                 result.count("yellow"), result.count("blue"), took)

    def _deliver(self, session, now):
        report = deliver_pending(session, now, self.config)
        if report.sent or report.failed:
            log.info("发送：成功 %d，失败 %d（将按退避时间重试）", report.sent, report.failed)

    def _checkpoint(self, session, now):
        point = write_checkpoint(session, now, only_if_moved=True)
        if point is not None:
            log.info("审计检查点第%d个：审计链第%d条", point.n, point.seq)

    def _documents(self, session, now):
        rendered = render_pending(session, now, passed_over=self._passed_over)
        if rendered:
            log.info("文书存档：生成 PDF %d 份", rendered)

    def _digest(self, session, now):
        result = send_digests(session, now, config=self.config)
        if result.sent_to:
            log.info("督办日报已发送 %d 人", len(result.sent_to))

    def _statistics(self, session, now):
        refresh_statistics(session)
        log.info("数据库查询统计信息已更新（ANALYZE）")

    def run_job(self, name: str, func: Callable[[Any, datetime], None]) -> None:
        """Run one job in its own session, if this process is the active scheduler."""
        if not self.active:
            if name == "sweep":  # once a minute: a standby says so, as the active one sweeps
                log.info("调度器 %s 处于待命状态（未持有租约），本次不扫描", self.holder)
            return
        started = clock.now()
        try:
            with self.Session() as session:
                func(session, started)
        except Exception:
            log.exception("定时任务 %s 执行失败，下次按计划重试", name)
        else:
            log.debug("定时任务 %s 用时 %.1f ms", name,
                      (clock.now() - started).total_seconds() * 1000)

    def _build(self, cls: type[BaseScheduler]) -> BaseScheduler:
        scheduler = cls(jobstores={"default": MemoryJobStore()}, timezone=clock.CHINA_TZ,
                        job_defaults={"coalesce": True, "max_instances": 1,
                                      "misfire_grace_time": 30})
        scheduler.add_job(self.renew_lease, "interval", seconds=self.intervals["lease"],
                          id="lease", next_run_time=clock.now())
        scheduler.add_job(self.run_job, "interval", args=("sweep", self._sweep),
                          seconds=self.intervals["sweep"], id="sweep")
        scheduler.add_job(self.run_job, "interval", args=("deliver", self._deliver),
                          seconds=self.intervals["deliver"], id="deliver")
        scheduler.add_job(self.run_job, "interval", args=("checkpoint", self._checkpoint),
                          seconds=self.intervals["checkpoint"], id="checkpoint")
        scheduler.add_job(self.run_job, "interval", args=("documents", self._documents),
                          seconds=self.intervals["documents"], id="documents")
        scheduler.add_job(self.run_job, "cron", args=("digest", self._digest),
                          hour=DIGEST_AT.hour, minute=DIGEST_AT.minute, id="digest",
                          misfire_grace_time=4 * 3600)
        scheduler.add_job(self.run_job, "cron", args=("statistics", self._statistics),
                          hour=STATISTICS_AT.hour, minute=STATISTICS_AT.minute,
                          id="statistics", misfire_grace_time=4 * 3600)
        return scheduler

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        log.info("调度器 %s 启动（每%d秒扫描期限，每日%s发送督办日报）", self.holder,
                 self.intervals["sweep"], DIGEST_AT.strftime("%H:%M"))
        self.scheduler.start()

    def shutdown(self, wait: bool = True) -> bool:
        """Stop the jobs and hand the lease back so a standby takes over at once; True if
        this process held the lease and gave it back."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        if self._lease_until is None:
            return False
        with self._lock:
            self._lease_until = None
        try:
            with self.Session() as session:
                release_lease(session, self.holder, clock.now())
        except Exception:
            log.exception("释放调度租约失败，租约将自然到期")
            return False
        return True


def start_embedded_scheduler(app_or_engine, **options) -> SchedulerRunner:
    """Start the scheduler in a background thread of the web process; returns the runner.

    Pass the Flask app (its engine and PETITION_FLOW_* config are used) or an Engine. Call
    it once per process, after the app is created and not in the debug reloader's parent;
    extra processes are harmless (the lease keeps one active). It stops at interpreter exit.
    """
    engine = app_or_engine
    extensions = getattr(app_or_engine, "extensions", None)
    if extensions is not None:
        engine = extensions["petition_flow.engine"]
        options.setdefault("config", NotifyConfig.from_mapping(
            {**os.environ, **{k: v for k, v in app_or_engine.config.items()
                              if k.startswith("PETITION_FLOW_")}}))
    runner = SchedulerRunner(engine, blocking=False, **options)
    runner.start()
    atexit.register(runner.shutdown, wait=False)
    return runner

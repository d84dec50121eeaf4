"""Security settings read from the application's configuration (a plain mapping; no Flask):
session limits, sign-in throttling and the password policy (等级保护 level 3, GB/T 22239-2019,
身份鉴别). Each has a default; README "安全设置" lists them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

DEFAULTS: dict[str, Any] = {
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_ABSOLUTE_HOURS": 8,
    "SESSION_COOKIE_SECURE": False,
    # Deployment behind a reverse proxy (petition_flow/proxy.py): how many proxies in front
    # add X-Forwarded-For/-Proto/-Host (0: none trusted), and whether users reach the site
    # over HTTPS (Secure cookies, HSTS, https:// links).
    "TRUSTED_PROXIES": 0,
    "HTTPS": False,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "UPLOAD_MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
    # Attachments (services/attachments.py): each file, and a whole upload request.
    "ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
    "ATTACHMENT_MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
    "LOGIN_FREE_FAILURES_PER_ACCOUNT": 3,
    "LOGIN_FREE_FAILURES_PER_ADDRESS": 10,
    "LOGIN_DELAY_BASE_SECONDS": 2,
    "LOGIN_DELAY_MAX_SECONDS": 900,
    "LOGIN_FAILURE_WINDOW_MINUTES": 60,
    "PASSWORD_MIN_LENGTH": 8,
    "PASSWORD_MIN_CLASSES": 3,
    "PASSWORD_HISTORY": 5,
    "PASSWORD_MAX_AGE_DAYS": 0,
    "PASSWORD_CHANGE_INITIAL": True,
}


def setting(config: Mapping[str, Any], name: str) -> Any:
    return config.get(name, DEFAULTS[name])


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=8)

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> SessionLimits:
        return cls(timedelta(minutes=int(setting(config, "SESSION_IDLE_MINUTES"))),
                   timedelta(hours=float(setting(config, "SESSION_ABSOLUTE_HOURS"))))


@dataclass(frozen=True)
class ThrottlePolicy:
    """Failures allowed before delays start, per account (from one address) and per address;
    then each further failure doubles the wait, from ``base`` up to ``ceiling``."""

    free_per_account: int = 3
    free_per_address: int = 10
    base: timedelta = timedelta(seconds=2)
    ceiling: timedelta = timedelta(seconds=900)
    window: timedelta = timedelta(minutes=60)

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> ThrottlePolicy:
        return cls(int(setting(config, "LOGIN_FREE_FAILURES_PER_ACCOUNT")),
                   int(setting(config, "LOGIN_FREE_FAILURES_PER_ADDRESS")),
                   timedelta(seconds=int(setting(config, "LOGIN_DELAY_BASE_SECONDS"))),
                   timedelta(seconds=int(setting(config, "LOGIN_DELAY_MAX_SECONDS"))),
                   timedelta(minutes=int(setting(config, "LOGIN_FAILURE_WINDOW_MINUTES"))))

    def delay(self, failures: int, free: int) -> timedelta:
        if failures <= free:
            return timedelta(0)
        return min(self.base * 2 ** min(failures - free - 1, 30), self.ceiling)


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 8
    min_classes: int = 3  # of: lower-case, upper-case, digits, other characters
    history: int = 5  # the last this many passwords (the current one included) may not return
    max_age_days: int = 0  # 0: passwords do not expire
    change_initial: bool = True  # initial and reset passwords are changed at first sign-in

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> PasswordPolicy:
        return cls(int(setting(config, "PASSWORD_MIN_LENGTH")),
                   int(setting(config, "PASSWORD_MIN_CLASSES")),
                   int(setting(config, "PASSWORD_HISTORY")),
                   int(setting(config, "PASSWORD_MAX_AGE_DAYS")),
                   bool(setting(config, "PASSWORD_CHANGE_INITIAL")))

    def describe(self) -> str:
        return (f"至少{self.min_length}位，须包含小写字母、大写字母、数字、其他符号中的"
                f"至少{self.min_classes}类。")


@dataclass(frozen=True)
class Client:
    """Where a sign-in or a session comes from."""

    remote_addr: str
    user_agent: str = ""

    @classmethod
    def of(cls, remote_addr: str | None, user_agent: str | None) -> Client:
        return cls((remote_addr or "unknown")[:64], (user_agent or "")[:256])

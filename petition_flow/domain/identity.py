"""Checks on who a petitioner is, and how alike two matters read.

The 18-digit citizen ID number follows GB 11643-1999: the last character is an
ISO 7064 MOD 11-2 check digit over the first 17. Repeat detection (Art. 19 ¶3,
Art. 36 ¶3) compares petitioner identity first and the matter's text second.
"""

from __future__ import annotations

import re
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def id_check_digit(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def id_number_error(value: str) -> str | None:
    """None when ``value`` is a valid 18-digit ID number, else a Chinese reason."""
    value = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return "身份证号码应为18位，最后一位可以是数字或X。"
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "身份证号码中的出生日期无效。"
    if id_check_digit(value[:17]) != value[17]:
        return "身份证号码校验位不正确，请核对。"
    return None


def phone_error(value: str) -> str | None:
    value = value.strip().replace(" ", "")
    if _MOBILE.match(value) or _LANDLINE.match(value):
        return None
    return "电话号码应为11位手机号码，或带区号的固定电话（如0917-1234567）。"


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) >= 11 else "*" * len(value)


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) >= 10 else "*" * len(value)


def mask_name(value: str | None) -> str:
    """The surname only: 王某 (a two-character compound surname is not guessed at)."""
    return value[:1] + "某" if value else ""


def mask_address(value: str | None) -> str:
    """The first six characters (province, city), never the street or house number."""
    if not value:
        return ""
    return value[:6] + "****" if len(value) > 6 else value[:2] + "****"


def mask_code(value: str | None) -> str:
    return "*" * len(value) if value else ""


_ID_IN_TEXT = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")
_PHONE_IN_TEXT = re.compile(r"(?<![0-9])(?:1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})(?![0-9])")


def mask_free_text(text: str | None, values: list[tuple[str, str]] = (),
                   hidden: str | None = None) -> str:
    """Free text as a reader without need to know sees it: every ID-number-shaped and
    phone-shaped run masked (or replaced by ``hidden``), and each (value, masked) pair given
    replaced, longest first."""
    if not text:
        return text or ""
    for value, masked in sorted((v for v in values if v[0]), key=lambda v: -len(v[0])):
        text = text.replace(value, masked)
    text = _ID_IN_TEXT.sub(lambda m: hidden or mask_id_number(m.group(0)), text)
    return _PHONE_IN_TEXT.sub(lambda m: hidden or mask_phone(m.group(0)), text)


_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def _bigrams(text: str) -> set[str]:
    text = _NOISE.sub("", text)
    return {text[i:i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def similarity(a: str, b: str) -> float:
    """Dice coefficient over character bigrams, 0..1; robust for Chinese without segmentation."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))

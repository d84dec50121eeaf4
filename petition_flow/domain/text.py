"""The one contract for text typed into the system, by page or by API: no NUL and no other
control characters (line breaks and tabs only where the field is multi-line), no lone
surrogates, and a length limit that refuses rather than cuts."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f]")


def text_problem(value: str, label: str, *, limit: int, multiline: bool = False) -> str | None:
    """A Chinese message if ``value`` breaks the contract, else None."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return f"{label}包含无效的 Unicode 字符。"
    if "\x00" in value:
        return f"{label}不能包含空字符。"
    if (_CONTROL if multiline else _CONTROL_ONE_LINE).search(value):
        return f"{label}不能包含控制字符{'' if multiline else '或换行'}。"
    if len(value) > limit:
        return f"{label}不能超过{limit}字（现为{len(value)}字）。"
    return None

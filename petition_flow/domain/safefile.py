"""Reading the rule files (workflows/*.yaml, holiday calendars) defensively.

A file that is not UTF-8, that is larger than any real rule file, or that uses YAML anchors
and aliases (one alias-expanding "bomb" of a few hundred bytes grew to 3 GB) is refused
quickly, before it is parsed, with a message naming the file. The size is checked before the
file is read; the aliases are found by the YAML parser's event stream, which never expands
them. No shipped rule file needs an alias: each rule is written out where it applies.
"""

from __future__ import annotations

from pathlib import Path

import yaml

# The shipped six-step workflow is ~25 KB and a year's calendar under 2 KB.
MAX_WORKFLOW_BYTES = 1024 * 1024
MAX_CALENDAR_BYTES = 256 * 1024

_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UnsafeFile(ValueError):
    """The file was refused before parsing; ``problem`` says why (in Chinese)."""

    def __init__(self, filename: str, problem: str):
        super().__init__(f"{filename}: {problem}")
        self.filename, self.problem = filename, problem


def _size_text(limit: int) -> str:
    return f"{limit // 1024} KB" if limit < 1024 * 1024 else f"{limit // (1024 * 1024)} MB"


def read_rule_file(path: Path, limit: int) -> str:
    """The file's text, if it is at most ``limit`` bytes of UTF-8; UnsafeFile otherwise."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise UnsafeFile(path.name, f"文件过大（{size} 字节，上限 {_size_text(limit)}），"
                                        "不像规则文件，已拒绝读取。")
        raw = path.read_bytes()
    except OSError as exc:
        raise UnsafeFile(path.name, f"无法读取文件：{exc.strerror or exc}") from None
    return decode_rule_text(raw, path.name, limit)


def decode_rule_text(raw: bytes, filename: str, limit: int) -> str:
    if len(raw) > limit:
        raise UnsafeFile(filename, f"文件过大（{len(raw)} 字节，上限 {_size_text(limit)}）。")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsafeFile(filename, f"不是 UTF-8 编码的文本（第 {exc.start + 1} 个字节起无法解码）；"
                                   "请以 UTF-8 保存后重试。") from None


def check_rule_text(text: str, filename: str, limit: int) -> None:
    """Refuse oversized text and YAML anchors/aliases before the text is loaded."""
    if len(text) > limit:
        raise UnsafeFile(filename, f"内容过大（{len(text)} 个字符，上限 {_size_text(limit)}）。")
    try:
        for event in yaml.parse(text, Loader=_Parser):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise UnsafeFile(filename, f"第{line}行：不允许使用 YAML 锚点与别名（&、*），"
                                           "请把内容直接写出。")
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise UnsafeFile(filename, f"第{line}行：不允许使用 YAML 锚点与别名（&{anchor}），"
                                           "请把内容直接写出。")
    except yaml.YAMLError:
        return  # a syntax error: the loader reports it with its line

"""Finding a case again (a clerk facing a returning petitioner): one search box, as WHERE clauses
on ``cases`` that the scoped case list (``queries.list_cases``) applies after the scope predicate,
so a search never reaches beyond what the searcher may see.

One query string matches any of:
- the case number (信访件编号), exactly or by its beginning;
- a petitioner's name, exactly or by its beginning;
- a petitioner's 身份证号 or phone, exactly (``identity_clause``: the one place that compares
  identity values, so that matching on a blind index once they are encrypted changes only it);
- the text of summary, request and facts (事项摘要、信访诉求、事实和理由): on SQLite through the
  FTS5 table ``cases_fts`` with the trigram tokenizer (Chinese has no spaces to split words at;
  trigrams find any phrase of three or more characters), on PostgreSQL by ILIKE served by pg_trgm
  GIN indexes (migration 0012_search). Phrases of one or two characters are matched by LIKE.

Results are cases; the lists show their petitioners masked as every list does
(services/disclosure.py: reading is masked for every role), so searching by an ID number shows
no one more than they could see already.
"""

from __future__ import annotations

import re

from sqlalchemy import literal_column, or_, select, text
from sqlalchemy.orm import Session

from ..errors import ValidationError
from ..models import Case, Party, blind_index

MAX_QUERY = 100
_ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")
_PHONE = re.compile(r"^\+?[\d-]{5,20}$")
_CASE_NO = re.compile(r"^[\d-]{4,32}$")


def normalise(q: str) -> str:
    q = " ".join((q or "").split())
    if not q:
        raise ValidationError("请输入检索内容。", fields={"q": "请输入检索内容。"})
    if len(q) > MAX_QUERY:
        raise ValidationError(f"检索内容不能超过{MAX_QUERY}字。",
                              fields={"q": f"检索内容不能超过{MAX_QUERY}字。"})
    if "\x00" in q:
        raise ValidationError("检索内容包含无效字符。", fields={"q": "检索内容包含无效字符。"})
    return q


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def identity_clause(value: str):
    """Cases with a petitioner whose 身份证号 or phone is exactly ``value`` (the one identity
    comparison): the values are encrypted at rest, so it compares their keyed blind indexes."""
    value = value.strip()
    if _ID_NUMBER.match(value):
        where = Party.id_number_index == blind_index("id_number", value.upper())
    else:
        where = Party.phone_index == blind_index("phone", value.replace(" ", ""))
    return Case.id.in_(select(Party.case_id).where(where))


def _name_clause(q: str):
    return Case.id.in_(select(Party.case_id).where(
        or_(Party.name == q, Party.name.like(_like_escape(q) + "%", escape="\\"))))


def text_clause(session: Session, q: str):
    """Cases whose summary, request or facts contain the phrase ``q``."""
    pattern = "%" + _like_escape(q) + "%"
    if session.get_bind().dialect.name == "sqlite" and len(q) >= 3:
        phrase = '"' + q.replace('"', '""') + '"'
        return Case.id.in_(select(literal_column("rowid")).select_from(text("cases_fts"))
                           .where(literal_column("cases_fts").op("MATCH")(phrase)))
    op = "ilike" if session.get_bind().dialect.name == "postgresql" else "like"
    return or_(*(getattr(column, op)(pattern, escape="\\")
                 for column in (Case.summary, Case.request, Case.facts_and_reasons)))


def search_clause(session: Session, q: str):
    """Everything ``q`` may mean, as one WHERE clause on ``cases``."""
    q = normalise(q)
    parts = [_name_clause(q), text_clause(session, q)]
    if _CASE_NO.match(q):
        parts.append(Case.case_no.like(_like_escape(q) + "%", escape="\\"))
    if _ID_NUMBER.match(q) or _PHONE.match(q):
        parts.append(identity_clause(q))
    return or_(*parts)


def masked_petitioners(session: Session, actor, case_ids: list[int]) -> dict[int, str]:
    """Each listed case's petitioners as the disclosure policy shows them in a list (masked):
    enough for a clerk to recognise a returning petitioner, nothing more."""
    from .disclosure import MASKED, UNMASKED, decide, full_party, mask_party

    if not case_ids:
        return {}
    cases = {c.id: c for c in session.execute(select(Case).where(Case.id.in_(case_ids)))
             .scalars()}
    out: dict[int, list[str]] = {}
    for p in session.execute(select(Party).where(Party.case_id.in_(case_ids))
                             .order_by(Party.id)).scalars():
        decision = decide(actor, cases[p.case_id], "read")
        if decision not in (UNMASKED, MASKED):
            continue
        shown = full_party(p) if decision == UNMASKED else mask_party(p)
        extra = "，".join(x for x in (shown.id_number, shown.phone) if x)
        out.setdefault(p.case_id, []).append(f"{shown.name}（{extra}）" if extra else shown.name)
    return {k: "；".join(v) for k, v in out.items()}

"""Statutory time limits (法定期限), owned by the code, not by any workflow file.

A workflow YAML names the limit a clock enforces (``statutory: handling``) and may shorten a
duty period (a county's 限时办结); it can never restate the article, the length, the unit, the
extension cap, whether the period is the organ's duty, or whether hearing time is excluded.  So a
file cannot loosen the law however it spells it (domain.md §2; issue 13 point 3).

Each entry cites the article that sets it (2022 信访工作条例 unless stated):
- routing            第二十二条: 信访工作机构 15 日内转送、交办
- acceptance_notice  第二十三条第三款: 收到转送、交办之日起 15 日内书面告知是否受理 (paused
                     while the bureau decides the unit's objection)
- objection          第二十三条第三款: 5 个工作日内提出异议 (the only working-day period)
- handling           第三十四条: 受理之日起 60 日内办结, 经批准可延长不超过 30 日
- simple_handling    《信访事项简易办理办法（试行）》: 10 个工作日
- review_request     第三十五条: 收到书面答复之日起 30 日内请求复查 (the petitioner's window)
- review_decision    第三十五条: 收到复查请求之日起 30 日内提出复查意见
- recheck_request    第三十六条: 收到复查意见之日起 30 日内请求复核 (the petitioner's window)
- recheck_decision   第三十六条: 收到复核请求之日起 30 日内提出复核意见, 听证时间不计入
- assigned_report    第二十二条第三项: 交办时由信访工作机构规定办结报告期限 (set per case)
"""

from __future__ import annotations

from dataclasses import dataclass

CALENDAR, WORKDAY = "calendar", "workday"


@dataclass(frozen=True)
class StatutoryLimit:
    key: str
    article: str
    days: int | None  # None: the law lets the assigning bureau set the date case by case
    unit: str
    max_extension_days: int = 0
    duty: bool = True  # False: a petitioner's window, which a county may not shorten
    # What time the law leaves out of the period, so a workflow may pause the clock there:
    # "hearing" (第三十六条第二款: 听证所需时间不计入) or "objection" (while the bureau decides an
    # Art. 23 ¶3 objection it is the bureau's turn, not the unit's; domain.md §8).
    excludes: str | None = None

    def describe(self) -> str:
        """'信访工作条例第三十四条规定60日（可延长30日）' for messages."""
        if self.days is None:
            return f"{self.article}规定由交办机关确定期限"
        per = "个工作日" if self.unit == WORKDAY else "日"
        text = f"{self.article}规定{self.days}{per}"
        if self.max_extension_days:
            text += f"（经批准可延长不超过{self.max_extension_days}日）"
        return text


ART = "信访工作条例"

LIMITS: dict[str, StatutoryLimit] = {
    limit.key: limit
    for limit in (
        StatutoryLimit("routing", f"{ART}第二十二条", 15, CALENDAR),
        StatutoryLimit("acceptance_notice", f"{ART}第二十三条第三款", 15, CALENDAR,
                       excludes="objection"),
        StatutoryLimit("objection", f"{ART}第二十三条第三款", 5, WORKDAY),
        StatutoryLimit("handling", f"{ART}第三十四条", 60, CALENDAR, max_extension_days=30),
        StatutoryLimit("simple_handling", "信访事项简易办理办法（试行）", 10, WORKDAY),
        StatutoryLimit("review_request", f"{ART}第三十五条", 30, CALENDAR, duty=False),
        StatutoryLimit("review_decision", f"{ART}第三十五条", 30, CALENDAR),
        StatutoryLimit("recheck_request", f"{ART}第三十六条", 30, CALENDAR, duty=False),
        StatutoryLimit("recheck_decision", f"{ART}第三十六条（听证时间不计入）", 30, CALENDAR,
                       excludes="hearing"),
        StatutoryLimit("assigned_report", f"{ART}第二十二条第三项", None, CALENDAR),
    )
}

# Keys a workflow file may not write on a clock: the table owns them.
OWNED_KEYS = ("article", "unit", "statutory_days", "max_extension_days", "duty",
              "extension_days", "excludes", "excludes_hearing")

EXCLUSION_LABELS = {"hearing": "听证", "objection": "异议待决"}


def exclusion_label(article: str) -> str:
    """What the paused days of a clock with this (stored) article were, for its explanation."""
    for limit in LIMITS.values():
        if limit.excludes and limit.article.split("（")[0] in article:
            return EXCLUSION_LABELS[limit.excludes]
    return "依法暂停计算"

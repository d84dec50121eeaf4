"""The average and 90th percentile of handling days come from a histogram of day counts (one
scan per cohort); these are the nearest-rank answers a supervisor would compute by hand."""

from __future__ import annotations

from petition_flow.services.statistics import _days


def test_ten_cases_of_one_to_ten_days_give_nine_days_as_the_90th_percentile():
    assert _days({d: 1 for d in range(1, 11)}) == (5.5, 9)


def test_eleven_cases_need_the_tenth_of_them_for_the_90th_percentile():
    # rank ⌈0.9 × 11⌉ = 10: the tenth smallest of 1..11 days
    assert _days({d: 1 for d in range(1, 12)}) == (6.0, 10)


def test_repeated_day_counts_weigh_as_many_cases():
    # 9 cases of 3 days and 1 of 40: 90% took at most 3 days; the average is 6.7
    assert _days({3: 9, 40: 1}) == (6.7, 3)
    assert _days({3: 8, 40: 2}) == (10.4, 40)


def test_a_group_without_concluded_cases_has_no_days():
    assert _days({}) is None
    assert _days(None) is None

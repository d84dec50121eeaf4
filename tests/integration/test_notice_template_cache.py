"""Notice templates are compiled once per county and per state of its texts folder, and a text
written by any process (the administration page in another worker) is used from the next
notice on, as is a reset one (services/notices.county_environment)."""

from __future__ import annotations

import os

from petition_flow.services import notices

TEMPLATE = "notices/acceptance.txt"


def rendered_source(region_code: str) -> str:
    env = notices.county_environment(region_code)
    return env.loader.get_source(env, TEMPLATE)[0]


def test_a_county_text_written_by_another_process_is_used_for_the_next_notice_and_a_reset_one_too(
        monkeypatch, tmp_path):
    monkeypatch.setenv("PETITION_FLOW_DOCUMENTS", str(tmp_path / "documents"))
    shipped = rendered_source("meixian")
    first = notices.county_environment("meixian")
    assert notices.county_environment("meixian") is first  # compiled once, not per notice

    own = notices.county_texts_dir("meixian") / TEMPLATE
    own.parent.mkdir(parents=True)
    own.write_text("眉县自己的受理告知书\n", encoding="utf-8")
    assert notices.county_environment("meixian").get_template(TEMPLATE).render() \
        == "眉县自己的受理告知书"

    # Saved again with the same length (an edit of one character), as os.replace does.
    tmp = own.with_suffix(".tmp")
    tmp.write_text("眉县自己的答复告知书\n", encoding="utf-8")
    stat = own.stat()
    os.utime(tmp, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    os.replace(tmp, own)
    assert notices.county_environment("meixian").get_template(TEMPLATE).render() \
        == "眉县自己的答复告知书"

    own.unlink()  # 恢复默认文本
    assert rendered_source("meixian") == shipped
    assert rendered_source("jintai") == shipped  # another county never saw Meixian's text

"""The README's table of figures is the one generated from the statistic definitions."""

from __future__ import annotations

from pathlib import Path

from petition_flow.services.statistics import definitions_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_figures_section_is_the_one_generated_from_the_definitions():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- figures:begin -->\n")[1].split("\n<!-- figures:end -->")[0]
    assert section == definitions_markdown()

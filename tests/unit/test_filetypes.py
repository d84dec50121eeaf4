"""Attachment types are told from the content, never from the name (domain/filetypes.py)."""

from __future__ import annotations

import attachment_files as files
import pytest

from petition_flow.domain.filetypes import detect, download_name


@pytest.mark.parametrize(("data", "kind"), [
    (files.pdf(), "pdf"), (files.png(), "png"), (files.jpeg(), "jpeg"),
    (files.docx(), "docx"), (files.ofd(), "ofd"), (files.doc(), "doc"),
])
def test_each_allowed_kind_is_recognised_from_its_first_bytes(data, kind):
    assert detect(data).kind == kind


@pytest.mark.parametrize("data", [
    files.HTML, b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>",
    b"#!/bin/sh\nrm -rf /\n", files.OTHER_ZIP, b"PK\x03\x04 not really a zip", b"",
    b"MZ\x90\x00 an executable",
])
def test_html_scripts_other_packages_and_garbage_are_not_any_allowed_kind(data):
    assert detect(data) is None


def test_a_file_is_handed_out_under_the_extension_of_what_it_is():
    pdf = detect(files.pdf())
    assert download_name("来信.html", pdf) == "来信.pdf"
    assert download_name("扫描件", pdf) == "扫描件.pdf"
    assert download_name(".pdf", pdf) == "附件.pdf"

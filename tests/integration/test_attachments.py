"""Attachments (附件) on real databases: checked by content and size, kept encrypted and
content-addressed, hashed in the audit log, opened only by those who need to know."""

from __future__ import annotations

import hashlib
import json

import attachment_files as files
import pytest
from helpers import days_after
from sqlalchemy import select

from petition_flow.errors import NotFoundError, PermissionDenied, ValidationError
from petition_flow.models import Attachment, AuditEntry
from petition_flow.services.attachments import (
    AttachmentStoreError,
    LocalFolderStore,
    Upload,
    add_attachments,
    attachment_thumbnail,
    download_attachment,
    list_attachments,
)
from petition_flow.services.audit import verify_chain
from petition_flow.services.exclusions import record_accused


@pytest.fixture
def store(tmp_path):
    return LocalFolderStore(tmp_path / "attachments")


def _attach(world, case, store, *uploads, role="reception", limit=1024 * 1024):
    return add_attachments(world.session, world.actor(role), days_after(case.updated_at, 1),
                           case.id, list(uploads), store, limit)


def test_an_attachment_is_stored_encrypted_under_its_sha256_and_the_hash_is_in_the_audit(
        cases, world, store, session):
    case = cases.register()
    data = files.pdf("王建国 工资欠条 13912345678")
    [row] = _attach(world, case, store, Upload("欠条.pdf", data, "工资欠条"))
    digest = hashlib.sha256(data).hexdigest()
    assert row.sha256 == digest and row.kind == "pdf" and row.size == len(data)
    blob = (store.root / digest[:2] / digest).read_bytes()
    assert data not in blob and b"13912345678" not in blob and b"%PDF" not in blob
    entry = session.execute(select(AuditEntry).where(
        AuditEntry.action == "attachment_added")).scalar_one()
    assert entry.case_id == case.id and entry.details["sha256"] == digest
    assert entry.details["attachment_id"] == row.id
    assert verify_chain(session).ok


def test_the_audit_log_names_an_attachment_by_id_and_hash_never_by_its_file_name(
        cases, world, store, session):
    case = cases.register()
    [row] = _attach(world, case, store, Upload("王建国身份证.pdf", files.pdf(), "身份证复印件"))
    download_attachment(session, world.actor("county_supervisor"),
                        days_after(case.updated_at, 2), case.id, row.id, store)
    entries = session.execute(select(AuditEntry).where(AuditEntry.action.in_(
        ("attachment_added", "attachment_downloaded")))).scalars().all()
    assert len(entries) == 2
    for entry in entries:
        assert entry.details["attachment_id"] == row.id and entry.details["sha256"] == row.sha256
        assert "王建国" not in json.dumps(entry.details, ensure_ascii=False)


def test_the_same_file_attached_twice_is_kept_once(cases, world, store):
    case = cases.register()
    data = files.pdf()
    _attach(world, case, store, Upload("a.pdf", data))
    _attach(world, case, store, Upload("b.pdf", data))
    assert len(list(store.root.rglob("*"))) == 2  # one folder, one file


def test_a_renamed_html_file_is_refused_and_nothing_is_stored(cases, world, store, session):
    case = cases.register()
    with pytest.raises(ValidationError) as refused:
        _attach(world, case, store, Upload("身份证复印件.pdf", files.HTML))
    assert "不是允许的附件类型" in refused.value.message and "改文件名无效" in refused.value.message
    assert session.execute(select(Attachment)).first() is None
    assert not store.root.exists()


def test_an_oversized_file_is_refused_with_the_limit_named(cases, world, store, session):
    case = cases.register()
    with pytest.raises(ValidationError) as refused:
        _attach(world, case, store, Upload("扫描件.pdf", files.pdf() + b"0" * 2048), limit=2048)
    assert "过大" in refused.value.message and "2 KB" in refused.value.message
    assert session.execute(select(Attachment)).first() is None


def test_one_bad_file_refuses_the_whole_upload(cases, world, store, session):
    case = cases.register()
    with pytest.raises(ValidationError):
        _attach(world, case, store, Upload("ok.pdf", files.pdf()), Upload("x.doc", files.HTML))
    assert session.execute(select(Attachment)).first() is None


def test_a_download_returns_the_bytes_and_is_audited(cases, world, store, session):
    case = cases.register()
    data = files.docx()
    [row] = _attach(world, case, store, Upload("情况说明.docx", data))
    out = download_attachment(session, world.actor("county_supervisor"),
                              days_after(case.updated_at, 2), case.id, row.id, store)
    assert out.data == data and out.filename == "情况说明.docx"
    entry = session.execute(select(AuditEntry).where(
        AuditEntry.action == "attachment_downloaded")).scalar_one()
    assert entry.details["sha256"] == row.sha256
    assert entry.actor_username == "county_supervisor.meixian"


def test_another_countys_staff_find_neither_the_case_nor_its_attachments(
        cases, world, store, session):
    case = cases.register()
    [row] = _attach(world, case, store, Upload("a.pdf", files.pdf()))
    for role in ("reception", "county_supervisor"):
        with pytest.raises(NotFoundError):
            download_attachment(session, world.actor(role, "jintai"),
                                days_after(case.updated_at, 2), case.id, row.id, store)


def test_an_attachment_id_of_another_case_is_not_found(cases, world, store, session):
    first, second = cases.register(), cases.register()
    [row] = _attach(world, first, store, Upload("a.pdf", files.pdf()))
    with pytest.raises(NotFoundError):
        download_attachment(session, world.actor("reception"), days_after(second.updated_at, 1),
                            second.id, row.id, store)


def test_a_user_accused_in_the_case_does_not_find_its_attachments(cases, world, store, session):
    """信访工作条例第三十条第三款: for those accused the case, and so its files, do not exist."""
    case = cases.register(summary="检举县信访局督办人员")
    case = cases.fire(case, "classify", {"category": "accusation"})
    [row] = _attach(world, case, store, Upload("a.pdf", files.pdf()))
    supervisor = world.actor("county_supervisor")
    assert download_attachment(session, supervisor, days_after(case.updated_at, 1), case.id,
                               row.id, store).data == files.pdf()
    record_accused(session, world.actor("reception"), days_after(case.updated_at, 1), case.id,
                   user_ids=[supervisor.user_id])
    with pytest.raises(NotFoundError):
        download_attachment(session, supervisor, days_after(case.updated_at, 2), case.id,
                            row.id, store)
    with pytest.raises(NotFoundError):
        attachment_thumbnail(session, supervisor, case.id, row.id, store)


def test_those_who_see_petitioners_only_masked_see_the_list_but_cannot_open_the_files(
        cases, world, store, session):
    case = cases.walk(["classify", "transfer", "accept"])
    [row] = _attach(world, case, store, Upload("王建国身份证.jpg", files.jpeg()), role="handler")
    for role in ("unit_leader", "city_supervisor"):
        who = world.actor(role)
        listed = list_attachments(session, who, case, may_upload=False)
        assert not listed.may_download
        assert "王建国" not in listed.items[0].filename and "王某" in listed.items[0].filename
        with pytest.raises(PermissionDenied):
            download_attachment(session, who, days_after(case.updated_at, 1), case.id, row.id,
                                store)
        with pytest.raises(PermissionDenied):
            attachment_thumbnail(session, who, case.id, row.id, store)
    assert not session.execute(select(AuditEntry).where(
        AuditEntry.action == "attachment_downloaded")).first()


def test_an_image_gets_a_small_encrypted_thumbnail(cases, world, store, session):
    from io import BytesIO

    from PIL import Image

    case = cases.register()
    [row] = _attach(world, case, store, Upload("现场.png", files.png((1600, 1200))))
    [pdf] = _attach(world, case, store, Upload("a.pdf", files.pdf()))
    assert row.thumbnail_sha256 and pdf.thumbnail_sha256 is None
    thumb = attachment_thumbnail(session, world.actor("reception"), case.id, row.id, store)
    with Image.open(BytesIO(thumb)) as image:
        assert image.format == "PNG" and max(image.size) <= 240
    assert thumb not in (store.root / row.thumbnail_sha256[:2] / row.thumbnail_sha256).read_bytes()


def test_a_blob_altered_in_the_store_is_refused_not_served(cases, world, store, session):
    case = cases.register()
    [row] = _attach(world, case, store, Upload("a.pdf", files.pdf()))
    path = store.root / row.sha256[:2] / row.sha256
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 1
    path.write_bytes(bytes(blob))
    with pytest.raises(AttachmentStoreError):
        download_attachment(session, world.actor("reception"), days_after(case.updated_at, 1),
                            case.id, row.id, store)


def test_a_first_handler_unit_after_hand_over_may_not_attach(cases, world, store):
    case = cases.walk(["classify", "transfer", "accept"])
    case = cases.fire(case, "hand_over", {"unit": world.unit("meixian.housing"),
                                          "reason": "该事项由住建部门主管"})
    with pytest.raises(PermissionDenied):
        _attach(world, case, store, Upload("a.pdf", files.pdf()), role="handler")


def test_an_unknown_attachment_store_is_named_at_start_not_at_the_first_upload():
    from petition_flow.settings import check_app_settings

    problems = check_app_settings({"SECRET_KEY": "k" * 32, "ATTACHMENT_STORE": "s3"})
    assert any("ATTACHMENT_STORE 的值“s3”无效" in p for p in problems)
    assert not any("ATTACHMENT" in p for p in check_app_settings({"SECRET_KEY": "k" * 32}))


def test_the_local_store_keeps_files_private_and_refuses_names_that_are_not_hashes(store):
    import stat

    name = hashlib.sha256(b"x").hexdigest()
    store.put(name, b"sealed")
    assert stat.S_IMODE((store.root / name[:2] / name).stat().st_mode) == 0o600
    for bad in ("../../etc/passwd", "A" * 64, name[:-1]):
        with pytest.raises(ValueError):
            store.exists(bad)

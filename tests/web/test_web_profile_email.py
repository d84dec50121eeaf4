"""个人设置: a user sets their own email so digests and alerts by email can reach them."""

from sqlalchemy import select

from petition_flow.models import AuditEntry, UserContact
from petition_flow.services.inbox import Directory
from tests.web.conftest import text


def stored_email(session, world, username):
    session.expire_all()
    user_id = world.actor(*username.split(".")).user_id
    contact = session.get(UserContact, user_id)
    session.commit()
    return contact.email if contact else None


def test_a_user_sets_an_email_that_the_directory_then_uses(as_user, session, world):
    b = as_user("county_supervisor.meixian")
    page = text(b.get("/account/password"))
    assert "电子邮箱" in page and "修改密码" in page
    response = b.post("/account/email", {"email": " duban@meixian.gov.cn "})
    assert response.status_code == 302
    assert stored_email(session, world, "county_supervisor.meixian") == "duban@meixian.gov.cn"
    assert 'value="duban@meixian.gov.cn"' in text(b.get("/account/password"))
    region = world.actor("county_supervisor").region_id
    emails = [r.email for r in Directory(session).in_region(region, "county_supervisor")]
    session.commit()
    assert emails == ["duban@meixian.gov.cn"]
    actions = session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars().all()
    session.commit()
    assert actions[-1] == "contact_email_changed"


def test_a_bad_address_is_refused_in_chinese_beside_the_field_with_the_input_kept(
        as_user, session, world):
    b = as_user("handler.meixian")
    for bad in ("zhangsan", "zhangsan@", "张三@example", "a b@example.com", "x@example..com"):
        response = b.post("/account/email", {"email": bad})
        page = text(response)
        assert response.status_code == 400, bad
        assert 'field-error">请输入有效的电子邮箱地址' in page, bad
    assert 'value="x@example..com"' in page
    assert stored_email(session, world, "handler.meixian") is None


def test_an_empty_address_removes_the_email(as_user, session, world):
    b = as_user("unit_leader.meixian")
    b.post("/account/email", {"email": "leader@example.com"})
    response = b.post("/account/email", {"email": ""})
    assert response.status_code == 302
    assert stored_email(session, world, "unit_leader.meixian") is None


def test_setting_the_email_needs_a_signed_in_user_and_the_csrf_token(as_user, browser, session,
                                                                     world):
    response = as_user("reception.meixian").post("/account/email", {"email": "a@example.com"},
                                                 csrf=False)
    assert response.status_code == 400 and "CSRF" in text(response)
    assert browser.client.post("/account/email", data={"email": "a@example.com"}
                               ).status_code in (302, 400)
    assert stored_email(session, world, "reception.meixian") is None

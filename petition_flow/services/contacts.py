"""A user's own contact address (email), so digests and alerts by email can reach them."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from ..db import write_transaction
from ..errors import ValidationError
from ..models import UserContact
from .actor import Actor
from .audit import AuditBatch

# Deliberately plain: one @, a dotted domain, no spaces; the SMTP server has the last word.
EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+$")
BAD_EMAIL = "请输入有效的电子邮箱地址，例如 zhangsan@example.com。"


def contact_email(session: Session, actor: Actor) -> str | None:
    contact = session.get(UserContact, actor.user_id)
    return contact.email if contact else None


def set_contact_email(session: Session, actor: Actor, now: datetime,
                      email: str | None) -> str | None:
    """Set (or, when empty, remove) the actor's own email address; audited."""
    email = (email or "").strip()
    if email and (len(email) > 254 or not EMAIL.match(email)):
        raise ValidationError(BAD_EMAIL, fields={"email": BAD_EMAIL})
    with write_transaction(session):
        contact = session.get(UserContact, actor.user_id)
        if contact is None:
            contact = UserContact(user_id=actor.user_id)
            session.add(contact)
        contact.email = email or None
        audit = AuditBatch(actor, now)
        audit.add("contact_email_changed", user_id=actor.user_id, email=contact.email)
        audit.flush(session)
    return email or None

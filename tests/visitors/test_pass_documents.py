"""What a visitor carries: the badge printed at reception, and the pass sent by e-mail to
a real SMTP server (aiosmtpd, on localhost) whose QR code a lane then grants."""

from __future__ import annotations

import email
import re
from email.message import EmailMessage
from email.policy import default

import pytest
from visitors_support import WORKSHOPS, Inbox, Visits, free_port

from portique.access import Outcome, QrPayload
from portique.config import get_settings
from portique.credentials import decode_qr, payload_from_text
from portique.visitors import (
    MailError,
    SiteLabels,
    render_badge,
    send_pass,
    site_labels,
)

POINTS_PER_MM = 72 / 25.4


def _labels(visits: Visits) -> SiteLabels:
    with visits.school.site.session() as session:
        return site_labels(session, visits.school.site_id)


def test_the_pass_sent_by_email_opens_the_allowed_zone_only(visits: Visits, inbox: Inbox) -> None:
    school = visits.school
    address = "alice.durand@example.org"
    new = visits.invite(visits.request(school.at(9), school.at(11), email=address))
    assert new.visitor_pass is not None
    send_pass(new.visit, new.visitor_pass, _labels(visits))

    ((sender, recipients, content),) = inbox.messages
    assert (sender, recipients) == ("accueil@lycee-test.fr", [address])
    message = email.message_from_bytes(content, policy=default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == "Votre laissez-passer — Lycée Victor Hugo"
    body = message.get_body(("plain",))
    assert body is not None
    plain = body.get_content()
    assert "Réunion parents-professeurs" in plain
    assert "Reçu(e) par : Camille Bernard" in plain
    assert "Bâtiment principal" in plain
    assert "PQ:" not in plain
    html = message.get_body(("html",))
    assert html is not None
    inline = [part for part in message.walk() if part["Content-ID"]]
    assert len(inline) == 1
    assert f"cid:{inline[0]['Content-ID'].strip('<>')}" in html.get_content()
    (attachment,) = message.iter_attachments()
    assert (attachment.get_filename(), attachment.get_content_type()) == (
        "laissez-passer.png",
        "image/png",
    )

    payload = decode_qr(attachment.get_content())
    assert payload == payload_from_text(new.visitor_pass.payload_text)
    assert school.pass_("entree", QrPayload(payload), at=school.at(9)).decision.outcome is (
        Outcome.GRANT
    )
    workshops = school.pass_(WORKSHOPS, QrPayload(payload), at=school.at(9, 30))
    assert workshops.decision.outcome is Outcome.DENY


def test_sending_fails_with_a_message_when_smtp_is_missing_or_down(
    visits: Visits, monkeypatch: pytest.MonkeyPatch
) -> None:
    school = visits.school
    new = visits.invite(visits.request(school.at(9), school.at(11), email="a@example.org"))
    assert new.visitor_pass is not None
    with pytest.raises(MailError, match="PORTIQUE_SMTP_HOST"):
        send_pass(new.visit, new.visitor_pass, _labels(visits))
    monkeypatch.setenv("PORTIQUE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PORTIQUE_SMTP_PORT", str(free_port()))
    monkeypatch.setenv("PORTIQUE_SMTP_SENDER", "accueil@lycee-test.fr")
    get_settings.cache_clear()
    with pytest.raises(MailError, match="imprimez"):
        send_pass(new.visit, new.visitor_pass, _labels(visits))
    no_address = visits.invite(visits.request(school.at(9), school.at(11)))
    assert no_address.visitor_pass is not None
    with pytest.raises(MailError, match="pas d'adresse"):
        send_pass(no_address.visit, no_address.visitor_pass, _labels(visits))


def test_the_walk_in_badge_is_a_cr80_pdf_whose_qr_is_the_pass(visits: Visits) -> None:
    school = visits.school
    new = visits.walk_in(visits.request(school.at(9), school.at(11)))
    assert new.visitor_pass is not None
    labels = _labels(visits)
    pdf = render_badge(
        new.visit, new.visitor_pass, site_name=labels.name, zone_names=labels.zone_names
    )
    assert pdf.startswith(b"%PDF")
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert box is not None
    width_mm, height_mm = (float(value) / POINTS_PER_MM for value in box.groups())
    assert width_mm == pytest.approx(85.6, abs=0.3)
    assert height_mm == pytest.approx(54.0, abs=0.3)

    png = render_badge(
        new.visit, new.visitor_pass, site_name=labels.name, zone_names=labels.zone_names, fmt="png"
    )
    assert decode_qr(png) == payload_from_text(new.visitor_pass.payload_text)

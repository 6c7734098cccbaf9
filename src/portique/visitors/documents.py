"""What a visitor carries: the pass as a QR image, the badge printed at reception, and
the invitation e-mail that brings the pass (SMTP, ``PORTIQUE_SMTP_*``).

The pass is the only thing these documents hold of the visit's security: no photo is ever
asked, printed or sent.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from portique.config import Settings, get_settings
from portique.credentials import payload_from_text, render_card, render_qr_png
from portique.credentials.card import CardFormat
from portique.i18n import text
from portique.services.rows import site_row
from portique.store import Sites
from portique.visitors.errors import MailError
from portique.visitors.records import VisitorPassIssued, VisitRecord

QR_SCALE = 8
PASS_FILE = "laissez-passer.png"
_BADGE_TITLES = {"fr": "Visiteur — laissez-passer", "en": "Visitor pass"}


@dataclass(frozen=True)
class SiteLabels:
    """What the documents print about the site: its name, clock and zone names."""

    name: str
    timezone: str
    zone_names: Mapping[str, str]


def site_labels(session: Session, site_id: str) -> SiteLabels:
    site = site_row(session, site_id)
    zones = {zone.zone_id: zone.name for zone in Sites(session).zones(site_id)}
    return SiteLabels(site.name, site.timezone, zones)


def zone_list(zones: Sequence[str], names: Mapping[str, str]) -> str:
    """The zones a pass opens, by their names."""
    return ", ".join(names.get(zone) or zone for zone in zones)


def pass_qr_png(visitor_pass: VisitorPassIssued) -> bytes:
    """The pass's QR code as a PNG, to show on a phone or print."""
    return render_qr_png(payload_from_text(visitor_pass.payload_text), scale=QR_SCALE)


def render_badge(
    visit: VisitRecord,
    visitor_pass: VisitorPassIssued,
    *,
    site_name: str,
    zone_names: Mapping[str, str],
    fmt: CardFormat = "pdf",
    lang: str = "fr",
) -> bytes:
    """The visitor badge, CR80 (85.6 x 54 mm) at 300 dpi as card printers take it: the
    pass's QR code, the name, the host, the zones and the end of the pass (date and hour)."""
    host = visit.host_name or visit.host_id or "—"
    details = (
        ("Reçu par : " if lang == "fr" else "Host: ") + host,
        ("Zones : " if lang == "fr" else "Zones: ") + zone_list(visit.zones, zone_names),
    )
    return render_card(
        payload_from_text(visitor_pass.payload_text),
        visit.display_name,
        site_name,
        visitor_pass.valid_until,
        fmt=fmt,
        lang=lang,
        title=_BADGE_TITLES.get(lang, _BADGE_TITLES["fr"]),
        details=details,
        with_time=True,
    )


def site_badge(
    visit: VisitRecord,
    visitor_pass: VisitorPassIssued,
    labels: SiteLabels,
    *,
    fmt: CardFormat = "pdf",
    lang: str = "fr",
) -> bytes:
    """The visitor badge (`render_badge`) with the site's name and zone names."""
    return render_badge(
        visit,
        visitor_pass,
        site_name=labels.name,
        zone_names=labels.zone_names,
        fmt=fmt,
        lang=lang,
    )


def _when(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y à %H:%M")


def pass_message(
    visit: VisitRecord,
    visitor_pass: VisitorPassIssued,
    *,
    site_name: str,
    timezone: str,
    zone_names: Mapping[str, str],
    sender: str,
) -> EmailMessage:
    """The invitation e-mail, in French: the visit's details in text and HTML, and the
    pass's QR code shown in the message and attached as a PNG.

    Raises:
        MailError: the visit has no e-mail address.
    """
    if not visit.email:
        raise MailError(
            text(
                f"La visite {visit.visit_id} n'a pas d'adresse e-mail : imprimez le "
                "laissez-passer.",
                f"Visit {visit.visit_id} has no e-mail address: print the pass.",
            )
        )
    qr = pass_qr_png(visitor_pass)
    lines = [
        f"Bonjour {visit.display_name},",
        "",
        f"Vous êtes attendu(e) à l'établissement {site_name}.",
        f"Objet de la visite : {visit.purpose}",
        f"Reçu(e) par : {visit.host_name or '—'}",
        f"Arrivée prévue le {_when(visit.expected_from, timezone)}, "
        f"départ prévu le {_when(visit.expected_until, timezone)}.",
        f"Zones autorisées : {zone_list(visit.zones, zone_names)}",
        f"Laissez-passer valable du {_when(visitor_pass.valid_from, timezone)} "
        f"au {_when(visitor_pass.valid_until, timezone)}.",
        "",
        "Présentez le QR code joint (sur votre téléphone ou imprimé) à l'accueil, qui "
        "enregistre votre arrivée et votre départ. Il ne vaut que pour cette visite.",
        "",
        "Aucune photo ne vous sera demandée. Les données de votre visite sont effacées "
        "trois mois après celle-ci.",
    ]
    message = EmailMessage()
    message["Subject"] = f"Votre laissez-passer — {site_name}"
    message["From"] = sender
    message["To"] = visit.email
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid("laissez-passer")
    message.set_content("\n".join(lines))
    cid = make_msgid("qr")
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in lines if line)
    message.add_alternative(
        f'<html lang="fr"><body>{paragraphs}'
        f'<p><img src="cid:{cid[1:-1]}" alt="QR code du laissez-passer" width="320"></p>'
        "</body></html>",
        subtype="html",
    )
    html_part = next(part for part in message.iter_parts() if part.get_content_subtype() == "html")
    assert isinstance(html_part, EmailMessage)
    html_part.add_related(qr, maintype="image", subtype="png", cid=cid)
    message.add_attachment(qr, maintype="image", subtype="png", filename=PASS_FILE)
    return message


def smtp_sender(settings: Settings | None = None) -> str:
    """The From: address of passes; raises MailError when sending is not configured."""
    settings = settings or get_settings()
    if not settings.smtp_host or not settings.smtp_sender:
        raise MailError(
            text(
                "L'envoi d'e-mails n'est pas configuré (PORTIQUE_SMTP_HOST et "
                "PORTIQUE_SMTP_SENDER) : imprimez le laissez-passer.",
                "E-mail is not configured (PORTIQUE_SMTP_HOST and PORTIQUE_SMTP_SENDER): "
                "print the pass.",
            )
        )
    return settings.smtp_sender


def send(message: EmailMessage, settings: Settings | None = None) -> None:
    """Sends ``message`` through the configured SMTP server (STARTTLS and login when set).

    Raises:
        MailError: not configured, unreachable, or the server refused the message.
    """
    settings = settings or get_settings()
    smtp_sender(settings)
    assert settings.smtp_host is not None
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                password = settings.smtp_password
                smtp.login(
                    settings.smtp_username, "" if password is None else password.get_secret_value()
                )
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(
            text(
                f"Le laissez-passer n'a pas pu être envoyé par {settings.smtp_host}:"
                f"{settings.smtp_port} ({type(exc).__name__}) : imprimez-le.",
                f"The pass could not be sent through {settings.smtp_host}:"
                f"{settings.smtp_port} ({type(exc).__name__}): print it.",
            )
        ) from None


def send_pass(
    visit: VisitRecord,
    visitor_pass: VisitorPassIssued,
    labels: SiteLabels,
    settings: Settings | None = None,
) -> None:
    """Sends the invitation e-mail with the pass to the visitor's address.

    Raises:
        MailError: no address, sending not configured, or the SMTP server failed.
    """
    message = pass_message(
        visit,
        visitor_pass,
        site_name=labels.name,
        timezone=labels.timezone,
        zone_names=labels.zone_names,
        sender=smtp_sender(settings),
    )
    send(message, settings)

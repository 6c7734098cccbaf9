"""Credential commands: `portique credential issue|revoke|bind-badge|phone-link`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from portique import clock
from portique.commands.common import CommandApp, err, out, print_json
from portique.commands.options import DirOption, HelpSection, JsonOption
from portique.commands.sitedir import open_cli_site, shown_date, site_timezone
from portique.errors import BadInputError, PortiqueError
from portique.i18n import language, text

if TYPE_CHECKING:
    from portique.services import IssuedCredential, SiteHandle

_help = HelpSection("credentials")

credential_app = CommandApp(help=_help("credential_app"), no_args_is_help=True)

PersonOption = Annotated[str, typer.Option("--person", help=_help("person"))]
FromOption = Annotated[str | None, typer.Option("--valid-from", help=_help("valid_from"))]
UntilOption = Annotated[str | None, typer.Option("--valid-until", help=_help("valid_until"))]


@credential_app.command("issue", help=_help("credential_issue"))
def credential_issue(
    person: PersonOption,
    out_path: Annotated[Path, typer.Option("--out", help=_help("out"))],
    faces: Annotated[list[Path] | None, typer.Option("--face", help=_help("face"))] = None,
    kind: Annotated[str, typer.Option("--kind", help=_help("kind"))] = "card",
    valid_from: FromOption = None,
    valid_until: UntilOption = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.credentials import CredentialKind
    from portique.serializers import CredentialOut
    from portique.services import card_format, issue_credential, parse_date

    fmt = card_format(out_path)
    if kind not in (CredentialKind.CARD.value, CredentialKind.PHONE.value):
        raise BadInputError(
            text(f"--kind : {kind!r} (card ou phone).", f"--kind: {kind!r} (card or phone).")
        )
    start = parse_date(valid_from) if valid_from else None
    end = parse_date(valid_until) if valid_until else None
    now = clock.now()
    with open_cli_site(directory) as site:
        with site.session() as session:
            issued = issue_credential(
                session,
                site.site_id,
                site.keyring(),
                person,
                now=now,
                card=fmt,
                faces=tuple(faces or ()),
                kind=CredentialKind(kind),
                valid_from=start,
                valid_until=end,
                lang=language(),
            )
        _write_card(site, issued, out_path, now=now)
        timezone = site_timezone(site)
    if as_json:
        shown = {"key": issued.key_id, "card": str(out_path), "qr_version": issued.qr_version}
        print_json({**CredentialOut.of(issued).for_cli(), **shown})
    else:
        _tell_issued(issued, out_path, timezone)


def _write_card(site: SiteHandle, issued: IssuedCredential, path: Path, *, now: datetime) -> None:
    """Writes the card of a credential just issued; if it cannot be written, revokes the
    credential (one that nobody holds must not stay valid) and raises."""
    from portique.services import revoke_credential, write_card
    from portique.services.credentials import CARD_NOT_WRITTEN

    try:
        write_card(path, issued.card)
    except PortiqueError:
        with site.session() as session:
            revoke_credential(
                session, site.site_id, issued.credential_id, reason=CARD_NOT_WRITTEN, now=now
            )
        raise


def _tell_issued(issued: IssuedCredential, path: Path, timezone: str) -> None:
    first, last = shown_date(issued.valid_from, timezone), shown_date(issued.valid_until, timezone)
    sealed = issued.has_template
    out.print(
        text(
            f"Titre [bold]{issued.credential_id}[/] délivré à {issued.person_id}, valable du "
            f"{first} au {last}"
            + (" (gabarit du visage scellé dans le titre)." if sealed else "."),
            f"Credential [bold]{issued.credential_id}[/] issued to {issued.person_id}, valid "
            f"from {first} to {last}" + (" (face template sealed in it)." if sealed else "."),
        )
    )
    out.print(text("Carte : ", "Card: ") + str(path))
    err.print(text("Texte du QR code (pour --qr-text) :", "QR code text (for --qr-text):"))
    out.print(issued.payload_text, soft_wrap=True)


@credential_app.command("revoke", help=_help("credential_revoke"))
def credential_revoke(
    credential_id: Annotated[str, typer.Argument(help=_help("credential_id"))],
    reason: Annotated[str, typer.Option("--reason", help=_help("reason"))] = "revoked",
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.serializers import RevocationOut
    from portique.services import revoke_credential

    with open_cli_site(directory) as site, site.session() as session:
        record = revoke_credential(
            session, site.site_id, credential_id, reason=reason, now=clock.now()
        )
    if as_json:
        print_json({**RevocationOut.of(record).for_cli(), "revoked": True})
    elif record.changed:
        out.print(
            text(
                f"Titre {record.credential_id} révoqué.",
                f"Credential {record.credential_id} revoked.",
            )
        )
    else:
        out.print(
            text(
                f"Titre {record.credential_id} déjà révoqué ({record.reason}).",
                f"Credential {record.credential_id} already revoked ({record.reason}).",
            )
        )


@credential_app.command("bind-badge", help=_help("credential_bind_badge"))
def credential_bind_badge(
    uid: Annotated[str, typer.Argument(help=_help("uid"))],
    person: PersonOption,
    valid_from: FromOption = None,
    valid_until: UntilOption = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.serializers import CredentialOut
    from portique.services import bind_badge, parse_date

    start = parse_date(valid_from) if valid_from else None
    end = parse_date(valid_until) if valid_until else None
    with open_cli_site(directory) as site, site.session() as session:
        record = bind_badge(
            session,
            site.site_id,
            person,
            uid,
            now=clock.now(),
            valid_from=start,
            valid_until=end,
        )
    if as_json:
        print_json(CredentialOut.of(record).for_cli())
    else:
        out.print(
            text(
                f"Badge {record.badge_uid} lié à {record.person_id} "
                f"(titre {record.credential_id}).",
                f"Badge {record.badge_uid} bound to {record.person_id} "
                f"(credential {record.credential_id}).",
            )
        )


@credential_app.command("phone-link", help=_help("credential_phone_link"))
def credential_phone_link(
    person: PersonOption,
    minutes: Annotated[
        int, typer.Option("--minutes", min=1, max=7 * 24 * 60, help=_help("minutes"))
    ] = 60,
    base_url: Annotated[str | None, typer.Option("--base-url", help=_help("base_url"))] = None,
    qr_path: Annotated[Path | None, typer.Option("--qr", help=_help("qr"))] = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.config import get_settings
    from portique.services import create_enrolment_link, write_card
    from portique.services.phone import link_qr_png

    base = base_url or get_settings().public_url
    if not base or not base.startswith(("https://", "http://")):
        raise BadInputError(
            text(
                "Donnez l'adresse du site vue des téléphones : --base-url https://... ou "
                "PORTIQUE_PUBLIC_URL.",
                "Give the site's address as phones reach it: --base-url https://... or "
                "PORTIQUE_PUBLIC_URL.",
            )
        )
    now = clock.now()
    with open_cli_site(directory) as site:
        with site.session() as session:
            link = create_enrolment_link(
                session, site.site_id, person, now=now, lifetime=timedelta(minutes=minutes)
            )
        timezone = site_timezone(site)
    url = link.url(base)
    if qr_path is not None:
        write_card(qr_path, link_qr_png(url))
    if as_json:
        print_json(
            {
                "person": link.person_id,
                "enrolment": link.enrolment_id,
                "link": url,
                "expires_at": link.expires_at.isoformat(),
                "qr": None if qr_path is None else str(qr_path),
            }
        )
        return
    _tell_link(link.person_id, url, link.expires_at.astimezone(ZoneInfo(timezone)), qr_path)


def _tell_link(person_id: str, url: str, until: datetime, qr_path: Path | None) -> None:
    out.print(
        text(
            f"Lien d'enrôlement pour {person_id}, à usage unique, valable jusqu'à "
            f"{until:%H:%M} le {until:%d/%m/%Y} :",
            f"Enrolment link for {person_id}, single use, valid until {until:%Y-%m-%d %H:%M}:",
        )
    )
    out.print(url, soft_wrap=True)
    if qr_path is not None:
        out.print(text("QR code du lien : ", "QR code of the link: ") + str(qr_path))


@credential_app.command("reenrol-list", help=_help("reenrol_list"))
def reenrol_list(directory: DirOption = None, as_json: JsonOption = False) -> None:
    """Who must re-enrol after a change of the site's face model."""
    from portique.services.credentials import reenrol_list as listed

    with open_cli_site(directory) as site, site.session() as session:
        found = listed(session, site.site_id, now=clock.now())
    if as_json:
        print_json(
            {
                "reenrol": [
                    {
                        "person": r.person_id,
                        "credential": r.credential_id,
                        "template_model": r.template_model,
                        "valid_until": r.valid_until.isoformat(),
                    }
                    for r in found
                ]
            }
        )
        return
    if not found:
        out.print(text("Personne n'a à se réenrôler.", "Nobody needs to re-enrol."))
    for r in found:
        out.print(f"{r.person_id}  {r.credential_id}  {r.template_model}")

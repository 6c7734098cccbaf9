"""People commands: `portique person add|import|list|exit-permission`, `portique consent ...`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from portique import clock
from portique.access.names import shown
from portique.commands.common import CommandApp, err, out, print_json
from portique.commands.options import AtOption, DirOption, HelpSection, JsonOption
from portique.commands.sitedir import open_cli_site, site_at
from portique.errors import BadInputError
from portique.i18n import text

if TYPE_CHECKING:
    from portique.services import Withdrawal

_help = HelpSection("people")

person_app = CommandApp(help=_help("person_app"), no_args_is_help=True)

_ROLE_NAMES = {
    "student": ("élève", "student"),
    "staff": ("personnel", "staff"),
    "parent": ("parent", "parent"),
    "contractor": ("prestataire", "contractor"),
    "visitor": ("visiteur", "visitor"),
}


def _role_name(role: str) -> str:
    fr, en = _ROLE_NAMES.get(role, (role, role))
    return text(fr, en)


@person_app.command("add", help=_help("person_add"))
def person_add(
    name: Annotated[str, typer.Option("--name", "--last-name", help=_help("name"))],
    first_name: Annotated[str, typer.Option("--first-name", help=_help("first_name"))],
    birth_date: Annotated[str, typer.Option("--birth-date", help=_help("birth_date"))],
    role: Annotated[str, typer.Option("--role", help=_help("role"))] = "student",
    groups: Annotated[
        list[str] | None, typer.Option("--class", "--group", help=_help("add_class"))
    ] = None,
    guardians: Annotated[
        list[str] | None, typer.Option("--guardian", help=_help("guardian"))
    ] = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.services import NewPerson, add_person, parse_date, parse_role

    new = NewPerson(
        last_name=name,
        first_name=first_name,
        birth_date=parse_date(birth_date),
        role=parse_role(role),
        groups=tuple(groups or ()),
        guardian_ids=tuple(guardians or ()),
    )
    with open_cli_site(directory) as site, site.session() as session:
        person_id = add_person(session, site.site_id, new, now=clock.now())
    if as_json:
        print_json({"person": person_id})
    else:
        out.print(person_id)


@person_app.command("import", help=_help("person_import"))
def person_import(
    file: Annotated[Path, typer.Argument(help=_help("file"))],
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.files import read_input_file
    from portique.serializers import ImportOut
    from portique.services import import_people_in_steps
    from portique.services.people import IMPORT_PAUSE_BESIDE_A_SERVER_SECONDS
    from portique.services.roster import MAX_ROSTER_BYTES

    data = read_input_file(file, max_bytes=MAX_ROSTER_BYTES)
    # In short transactions: a server and its lanes may be using the database meanwhile.
    with open_cli_site(directory) as site:
        report = import_people_in_steps(
            site.session,
            site.site_id,
            data,
            now=clock.now(),
            pause=IMPORT_PAUSE_BESIDE_A_SERVER_SECONDS,
        )
    if as_json:
        print_json(ImportOut.of(report).for_cli())
        return
    out.print(
        text(
            f"{len(report.imported)} personne(s) importée(s), {len(report.rejected)} ligne(s) "
            f"refusée(s) (encodage {report.encoding}, séparateur {report.delimiter!r}).",
            f"{len(report.imported)} person(s) imported, {len(report.rejected)} line(s) "
            f"refused (encoding {report.encoding}, separator {report.delimiter!r}).",
        )
    )
    if report.groups_created:
        out.print(text("Classes créées : ", "Classes created: ") + ", ".join(report.groups_created))
    for rejected in report.rejected:
        err.print(text(f"Ligne {rejected.line} : ", f"Line {rejected.line}: ") + rejected.reason)


@person_app.command("list", help=_help("person_list"))
def person_list(
    directory: DirOption = None,
    as_json: JsonOption = False,
    search: Annotated[str, typer.Option("--search", help=_help("search"))] = "",
    group: Annotated[str | None, typer.Option("--class", help=_help("list_class"))] = None,
    role: Annotated[
        str | None,
        typer.Option("--role", help="student | staff | parent | contractor | visitor"),
    ] = None,
    credential_status: Annotated[
        str | None,
        typer.Option("--credential-status", help="none | active | expired | revoked"),
    ] = None,
) -> None:
    from portique.access import Role
    from portique.serializers import PersonOut
    from portique.services import (
        MAX_PAGE_SIZE,
        CredentialStatus,
        PeopleQuery,
        list_people,
        select_people,
    )

    try:
        query = PeopleQuery(
            text=search,
            role=None if role is None else Role(role),
            group_id=group,
            credential_status=None
            if credential_status is None
            else CredentialStatus(credential_status),
            limit=MAX_PAGE_SIZE,
        )
    except ValueError as error:
        raise BadInputError(str(error)) from None
    with open_cli_site(directory) as site, site.session() as session:
        if query.filtered:
            records = select_people(session, site.site_id, query, now=clock.now())
        else:
            records = list_people(session, site.site_id, now=clock.now())
    if as_json:
        print_json({"people": [PersonOut.of(record).for_cli() for record in records]})
        return
    table = Table(title=text("Personnes", "People"))
    # Ids and dates are read and typed by people: never cut them, wrap the names instead.
    for heading, whole in (
        (text("Identifiant", "Id"), True),
        (text("Nom", "Last name"), False),
        (text("Prénom", "First name"), False),
        (text("Né(e) le", "Born"), True),
        (text("Rôle", "Role"), False),
        (text("Classes", "Classes"), False),
        (text("Consentement", "Consent"), False),
        (text("Titres", "Credentials"), False),
    ):
        table.add_column(heading, no_wrap=whole, overflow="fold")
    yes, no = text("oui", "yes"), text("non", "no")
    for r in records:
        table.add_row(
            r.person_id,
            # Names stored before they were checked may hold controls or Rich markup.
            escape(shown(r.last_name)),
            escape(shown(r.first_name)),
            r.birth_date.strftime("%d/%m/%Y"),
            _role_name(r.role.value) + ("" if r.active else text(" (inactif)", " (inactive)")),
            ", ".join(r.group_ids),
            yes if r.consent_in_force else no,
            str(r.credentials),
        )
    out.print(table)


@person_app.command("exit-permission", help=_help("person_exit_permission"))
def person_exit_permission(
    person: Annotated[str, typer.Argument(help=_help("exit_permission_person"))],
    rule: Annotated[str, typer.Option("--rule", help=_help("rule"))],
    by: Annotated[str, typer.Option("--by", help=_help("exit_permission_by"))],
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.services import set_exit_permission

    with open_cli_site(directory) as site, site.session() as session:
        set_exit_permission(
            session, site.site_id, person, rule, granted_by=by, on=clock.now().date()
        )
    if as_json:
        print_json({"person": person, "rule": rule, "granted_by": by})
    else:
        out.print(
            text(
                f"Autorisation de sortie de {person} : {rule}.",
                f"Exit permission of {person}: {rule}.",
            )
        )


consent_app = CommandApp(help=_help("consent_app"), no_args_is_help=True)

PersonArgument = Annotated[str | None, typer.Argument(help=_help("person"), show_default=False)]
PersonOption = Annotated[str | None, typer.Option("--person", help=_help("person"))]
ByOption = Annotated[str | None, typer.Option("--by", help=_help("by"))]


def _person(argument: str | None, option: str | None) -> str:
    if argument and option and argument != option:
        raise BadInputError(
            text("Deux personnes différentes indiquées.", "Two different people given.")
        )
    chosen = argument or option
    if not chosen:
        raise BadInputError(
            text("Indiquez la personne (--person ID).", "Give the person (--person ID).")
        )
    return chosen


@consent_app.command("grant", help=_help("consent_grant"))
def consent_grant(
    person: PersonArgument = None,
    person_option: PersonOption = None,
    by: ByOption = None,
    giver: Annotated[str | None, typer.Option("--as", help=_help("as"))] = None,
    at: AtOption = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.access import ConsentGiver
    from portique.serializers import ConsentOut
    from portique.services import grant_consent

    person_id = _person(person, person_option)
    try:
        chosen = None if giver is None else ConsentGiver(giver)
    except ValueError:
        raise BadInputError(
            text(
                f"--as : « {giver} » (parent ou legal_guardian).",
                f"--as: {giver!r} (parent or legal_guardian).",
            )
        ) from None
    with site_at(directory, at) as (site, when), site.session() as session:
        record = grant_consent(session, site.site_id, person_id, by=by, now=when, giver=chosen)
    if as_json:
        print_json({**ConsentOut.of(record).for_cli(), "consent": True})
    elif record.created:
        out.print(
            text(
                f"Consentement de {record.person_id} enregistré (donné par {record.given_by}).",
                f"Consent of {record.person_id} recorded (given by {record.given_by}).",
            )
        )
    else:
        out.print(
            text(
                f"{record.person_id} a déjà un consentement en vigueur.",
                f"{record.person_id} already has a consent in force.",
            )
        )


@consent_app.command("withdraw", help=_help("consent_withdraw"))
def consent_withdraw(
    person: PersonArgument = None,
    person_option: PersonOption = None,
    by: ByOption = None,
    at: AtOption = None,
    cards_dir: Annotated[Path | None, typer.Option("--out", help=_help("out"))] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help=_help("pdf"))] = False,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    from portique.i18n import language
    from portique.serializers import WithdrawalOut
    from portique.services import withdraw_consent

    person_id = _person(person, person_option)
    with site_at(directory, at) as (site, when), site.session() as session:
        withdrawal = withdraw_consent(
            session,
            site.site_id,
            person_id,
            by=by,
            now=when,
            keyring=site.keyring(),
            card="pdf" if pdf else "png",
            lang=language(),
        )
    reissued = _hand_over(withdrawal, cards_dir)
    if as_json:
        print_json(
            {
                **WithdrawalOut.of(withdrawal).for_cli(),
                "consent": False,
                "reissued": reissued,
                "templates_deleted": withdrawal.vault_deleted,
            }
        )
        return
    for item in reissued:
        where = item["card"] or text(
            f"non écrite (--out), code {item['qr_text']}",
            f"not written (--out), code {item['qr_text']}",
        )
        out.print(
            text(
                f"Nouveau titre sans gabarit {item['credential']} : carte {where}.",
                f"New credential without template {item['credential']}: card {where}.",
            )
        )
    out.print(
        text(
            f"Consentement de {withdrawal.person_id} retiré ; titres révoqués : "
            f"{', '.join(withdrawal.revoked) or 'aucun'}.",
            f"Consent of {withdrawal.person_id} withdrawn; credentials revoked: "
            f"{', '.join(withdrawal.revoked) or 'none'}.",
        )
    )


def _hand_over(withdrawal: Withdrawal, cards_dir: Path | None) -> list[dict[str, Any]]:
    """The replacement credentials of a withdrawal, their cards written in ``cards_dir``
    (``card`` None without it)."""
    from portique.serializers import CredentialOut
    from portique.services import write_card

    reissued = []
    for issued in withdrawal.reissued:
        path = None
        if cards_dir is not None:
            path = cards_dir / f"{issued.credential_id}.{issued.card_format}"
            write_card(path, issued.card)
        card = None if path is None else str(path)
        reissued.append({**CredentialOut.of(issued).for_cli(), "card": card})
    return reissued

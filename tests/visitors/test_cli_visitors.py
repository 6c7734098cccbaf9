"""`portique visitor ...` and `portique refusal ...` on a site made by `portique init`."""

from __future__ import annotations

from pathlib import Path

from cli_support import Cli
from portique.credentials import decode_qr, payload_to_text

LEROY = ("--name", "Leroy", "--first-name", "Marc", "--birth-date", "12/04/1985")
"""The options naming the person barred in these tests."""


def test_invite_pass_check_in_path_and_check_out(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "site")
    cli.json("init")
    host = cli.person(
        "--name", "Bernard", "--first-name", "Paul", "--birth-date", "03/03/1975", "--role", "staff"
    )
    badge = tmp_path / "badge.png"
    invited = cli.json(
        "visitor",
        "invite",
        "--name",
        "Durand",
        "--first-name",
        "Alice",
        "--purpose",
        "Entretien",
        "--host",
        host,
        "--from",
        cli.at(9),
        "--until",
        cli.at(11),
        "--zone",
        "main",
        "--out",
        str(badge),
    )
    visit_id = invited["visit"]
    assert (invited["status"], invited["zones"], invited["alert"]) == ("expected", ["main"], None)
    qr_text = payload_to_text(decode_qr(badge.read_bytes()))
    assert qr_text == invited["pass"]["qr_text"]

    passage = cli.json("pass", "--lane", "entree", "--qr-text", qr_text, "--at", cli.at(9, 5))
    assert passage["decision"] == "GRANT"
    listed = cli.json("visitor", "list")["visits"]
    assert [(v["visit"], v["status"]) for v in listed] == [(visit_id, "on_site")]

    # Checked in by the lane already: reception's check-in is a pass used twice.
    again = cli.json("visitor", "check-in", qr_text, code=1)
    assert again["alert"] == "pass_reused"
    left = cli.json("visitor", "check-out", visit_id)
    assert left["status"] == "left"
    assert cli.json("visitor", "check-out", visit_id, code=2)["error"] == "visit_state"

    # Reception works at the real time, before the school day of the lane's passage.
    path = cli.json("visitor", "path", visit_id)["path"]
    assert [(step["kind"], step["checkpoint"], step["zone"], step["alert"]) for step in path] == [
        ("check_in", "accueil", None, "pass_reused"),
        ("check_out", "accueil", None, None),
        ("check_in", "entree", "main", None),
    ]
    assert cli.json("visitor", "list")["visits"] == []
    assert len(cli.json("visitor", "list", "--all")["visits"]) == 1
    table = cli.run("visitor", "path", visit_id)
    assert table.exit_code == 0 and "entree" in table.stdout


def test_refusal_list_and_a_barred_walk_in(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "site")
    cli.json("init")
    host = cli.person(
        "--name", "Bernard", "--first-name", "Paul", "--birth-date", "03/03/1975", "--role", "staff"
    )
    added = cli.json(
        "refusal",
        "add",
        *LEROY,
        "--reason",
        "Décision de justice",
        "--ordered-by",
        "court",
        "--until",
        "31/12/2099",
    )
    assert [r["refusal"] for r in cli.json("refusal", "list")["refusals"]] == [added["refusal"]]
    badge = tmp_path / "badge.pdf"
    walk_in = (
        "visitor",
        "walk-in",
        *LEROY,
        "--purpose",
        "Rendez-vous",
        "--host",
        host,
        "--out",
        str(badge),
    )
    refused = cli.json(*walk_in, code=1)
    assert (refused["status"], refused["alert"], refused["pass"]) == ("refused", "barred", None)
    assert not badge.exists()

    lifted = cli.json("refusal", "lift", str(added["refusal"]))
    assert lifted["lifted_at"] is not None
    assert cli.json("refusal", "list")["refusals"] == []
    welcomed = cli.json(*walk_in)
    assert welcomed["status"] == "on_site"
    assert badge.read_bytes().startswith(b"%PDF")
    wrong = cli.json(
        "refusal",
        "add",
        "--name",
        "X",
        "--first-name",
        "Y",
        "--birth-date",
        "01/01/1990",
        "--reason",
        "r",
        "--ordered-by",
        "police",
        "--until",
        "31/12/2099",
        code=2,
    )
    assert wrong["error"] == "bad_input"

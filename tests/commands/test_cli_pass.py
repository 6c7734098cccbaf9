"""`portique pass` from outside: the JSON contract, exit codes 0/1/3/2, words, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from cli_support import Cli
from portique.biometrics import load_image
from portique.config import get_settings
from portique.credentials import payload_from_text, payload_to_text
from store_support import DOWN_URL
from support import compose_frame, lfw_face

CONTRACT = {"decision", "reasons", "credential", "latency_ms"}


def _pass(cli: Cli, *args: str, code: int) -> dict[str, object]:
    payload = cli.json("pass", *args, code=code)
    assert set(payload) >= CONTRACT
    assert isinstance(payload["latency_ms"], float) and payload["latency_ms"] >= 0
    assert isinstance(payload["reasons"], list) and payload["reasons"]
    return payload


def test_a_valid_card_is_granted_with_exit_code_0(cli: Cli) -> None:
    card = cli.issue(cli.student(cli.parent()))
    payload = _pass(
        cli, "--lane", "entree", "--qr-text", card["qr_text"], "--at", cli.at(10), code=0
    )
    assert payload["decision"] == "GRANT"
    assert payload["reasons"] == ["credential_valid"]
    assert payload["credential"] == card["credential"]
    assert payload["face_requested"] is False


def test_the_printed_card_itself_can_be_presented_as_an_image(cli: Cli, tmp_path: Path) -> None:
    card = cli.issue(cli.staff())
    payload = _pass(cli, "--lane", "entree", "--qr", card["card"], "--at", cli.at(9), code=0)
    assert payload["credential"] == card["credential"]


def test_a_revoked_card_is_denied_with_exit_code_1(cli: Cli) -> None:
    card = cli.issue(cli.staff())
    revoked = cli.json("credential", "revoke", card["credential"], "--reason", "lost")
    assert revoked["revoked"] is True
    payload = _pass(cli, "--lane", "entree", "--qr-text", card["qr_text"], code=1)
    assert payload["decision"] == "DENY"
    assert payload["reasons"] == ["revoked"]
    assert payload["alert"] is True


def test_an_expired_card_is_denied(cli: Cli) -> None:
    card = cli.issue(cli.staff(), "--valid-from", "01/09/2020", "--valid-until", "31/08/2021")
    payload = _pass(cli, "--lane", "entree", "--qr-text", card["qr_text"], code=1)
    assert payload["reasons"] == ["expired"]


def test_an_entry_outside_the_timetable_is_referred_with_exit_code_3(cli: Cli) -> None:
    card = cli.issue(cli.student(cli.parent()))
    payload = _pass(
        cli, "--lane", "entree", "--qr-text", card["qr_text"], "--at", cli.at(20), code=3
    )
    assert payload["decision"] == "REFER"
    assert payload["reasons"] == ["site_closed"]


def test_a_minor_without_exit_permission_is_denied_at_the_exit(cli: Cli) -> None:
    card = cli.issue(cli.student(cli.parent()))
    payload = _pass(
        cli, "--lane", "sortie", "--qr-text", card["qr_text"], "--at", cli.at(10), code=1
    )
    assert payload["reasons"] == ["exit_not_permitted"]


def test_lockdown_denies_entry_until_it_ends(cli: Cli) -> None:
    card = cli.issue(cli.staff())
    assert cli.json("lockdown", "start", "--by", "principal")["lockdown"] is True
    payload = _pass(
        cli, "--lane", "entree", "--qr-text", card["qr_text"], "--at", cli.at(9), code=1
    )
    assert payload["reasons"] == ["lockdown"]
    assert cli.json("lockdown", "end")["lockdown"] is False
    _pass(cli, "--lane", "entree", "--qr-text", card["qr_text"], "--at", cli.at(9, 5), code=0)


def test_a_bound_badge_is_granted_and_an_unknown_one_denied(cli: Cli) -> None:
    staff = cli.staff()
    cli.json("credential", "bind-badge", "04:A2:B3:C4", "--person", staff)
    _pass(cli, "--lane", "entree", "--badge", "04a2b3c4", "--at", cli.at(9), code=0)
    unknown = _pass(cli, "--lane", "entree", "--badge", "DE:AD:BE:EF", code=1)
    assert unknown["reasons"] == ["unknown_credential"]


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("forged", "bad_signature"),
        ("truncated", "malformed_credential"),
        ("garbage", "malformed_credential"),
        ("not-base45", "malformed_credential"),
    ],
)
def test_forged_truncated_and_garbage_qr_text_is_refused_with_a_reason(
    sqlite_cli: Cli, tamper: str, reason: str
) -> None:
    card = sqlite_cli.issue(sqlite_cli.staff())
    payload = payload_from_text(card["qr_text"])
    later = bytearray(payload)
    later[9] ^= 0x01  # valid_until (bytes 8-11) moved by 18 hours: the signature no longer holds
    texts = {
        "forged": payload_to_text(bytes(later)),
        "truncated": payload_to_text(payload[: len(payload) // 2]),
        # Random bytes, but never a credential's or a phone code's first byte (0xFB, 0xFC),
        # which would make an unknown version of them one time in 128.
        "garbage": payload_to_text(b"\x00" + os.urandom(89)),
        "not-base45": "PQ:this is {not} a credential",
    }
    result = sqlite_cli.run("pass", "--lane", "entree", "--qr-text", texts[tamper], "--json")
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["reasons"] == [reason]
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    "args",
    [
        ("--lane", "entree"),
        ("--lane", "entree", "--qr-text", "PQ:X", "--badge", "04:A2:B3:C4"),
        ("--lane", "entree", "--badge", "04:A2:B3:C4", "--at", "tuesday at ten"),
        ("--lane", "entree", "--qr", "/nonexistent/card.png"),
        ("--qr-text", "PQ:X"),
    ],
    ids=["no-credential", "two-credentials", "bad-time", "missing-image", "no-lane"],
)
def test_bad_input_exits_with_code_2_and_a_message(sqlite_cli: Cli, args: tuple[str, ...]) -> None:
    result = sqlite_cli.run("pass", *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_an_image_without_a_qr_code_is_bad_input(sqlite_cli: Cli, tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), "white").save(blank)
    payload = sqlite_cli.json("pass", "--lane", "entree", "--qr", str(blank), code=2)
    assert payload["error"] == "bad_qr_image"


def test_a_database_that_is_down_is_a_clear_error_with_exit_code_2(
    sqlite_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTIQUE_DATABASE_URL", DOWN_URL)
    get_settings.cache_clear()
    payload = sqlite_cli.json("pass", "--lane", "entree", "--badge", "04:A2:B3:C4", code=2)
    assert payload["error"] == "store_unavailable"
    assert "postgresql+psycopg://postgres@127.0.0.1:1/portique" in payload["message"]
    assert "hunter2" not in payload["message"]


def test_the_enrolled_face_is_granted_and_another_face_referred(
    cli: Cli, lfw_images: Path, tmp_path: Path
) -> None:
    parent = cli.parent()
    student = cli.student(parent)
    refused = cli.run(
        "credential", "issue", "--person", student, "--out", str(tmp_path / "x.png"),
        "--face", str(lfw_face(lfw_images, "Colin_Powell", 1)),
    )  # fmt: skip
    assert refused.exit_code == 2  # no consent yet
    cli.json("consent", "grant", student, "--by", parent)
    card = cli.issue(student, "--face", str(lfw_face(lfw_images, "Colin_Powell", 1)))
    assert card["has_template"] is True
    live = tmp_path / "live.png"
    frame = compose_frame([(load_image(lfw_face(lfw_images, "Colin_Powell", 2)), 1.2, (170, 90))])
    Image.fromarray(frame).save(live)
    granted = _pass(
        cli, "--lane", "entree", "--qr-text", card["qr_text"], "--face", str(live),
        "--at", cli.at(10), code=0,
    )  # fmt: skip
    assert granted["reasons"] == ["credential_valid", "face_match"]
    impostor = str(lfw_face(lfw_images, "Tony_Blair", 1))
    referred = _pass(
        cli, "--lane", "entree", "--qr-text", card["qr_text"], "--face", impostor,
        "--at", cli.at(14), code=3,
    )  # fmt: skip
    assert referred["reasons"] == ["face_mismatch"]
    withdrawn = cli.json("consent", "withdraw", student, "--by", parent)
    assert withdrawn["revoked"] == [card["credential"]]
    after = _pass(
        cli, "--lane", "entree", "--qr-text", card["qr_text"], "--face", str(live), code=1
    )
    assert after["reasons"] == ["revoked"] and after["face_requested"] is False


def _portique(
    *args: str, lang: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portique", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PORTIQUE_LANG": lang, **(env or {})},
        check=False,
        timeout=120,
    )


def test_pass_from_a_real_process_prints_one_json_object_and_its_exit_code(sqlite_cli: Cli) -> None:
    card = sqlite_cli.issue(sqlite_cli.staff())
    directory = str(sqlite_cli.directory)
    granted = _portique(
        "pass", "--lane", "entree", "--qr-text", card["qr_text"], "--at", sqlite_cli.at(9),
        "--json", "--dir", directory, lang="fr",
    )  # fmt: skip
    assert granted.returncode == 0, granted.stderr
    (line,) = granted.stdout.strip().splitlines()
    payload = json.loads(line)
    assert payload["decision"] == "GRANT" and payload["credential"] == card["credential"]
    assert isinstance(payload["latency_ms"], float)
    denied = _portique(
        "pass", "--lane", "entree", "--qr-text", "PQ:X", "--dir", directory, lang="fr"
    )
    assert denied.returncode == 1
    assert "Refusé" in denied.stdout and "Titre d'accès illisible" in denied.stdout
    english = _portique(
        "pass", "--lane", "entree", "--qr-text", card["qr_text"], "--at", sqlite_cli.at(20),
        "--dir", directory, lang="en",
    )  # fmt: skip
    assert english.returncode == 3
    assert "Referred to the agent" in english.stdout and "Site closed" in english.stdout


def test_a_database_that_is_down_is_a_message_not_a_traceback_in_a_real_process(
    sqlite_cli: Cli,
) -> None:
    result = _portique(
        "pass", "--lane", "entree", "--badge", "04:A2:B3:C4", "--dir", str(sqlite_cli.directory),
        lang="en", env={"PORTIQUE_DATABASE_URL": DOWN_URL},
    )  # fmt: skip
    assert result.returncode == 2
    assert "127.0.0.1:1/portique" in result.stderr.replace("\n", "")
    assert "Traceback" not in result.stderr and "hunter2" not in result.stderr

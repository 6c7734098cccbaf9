"""`portique lane run` (in process, and over MQTT with `portique lane hub`) with a badge
typed on standard input, as a keyboard-wedge reader does."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clock_support import SCHOOL_MORNING, ProductClock
from portique.access import Role
from portique.bootstrap import init_site, open_site
from portique.cli import app
from portique.services import NewPerson, add_person, bind_badge, issue_credential
from portique.store import Passages

BADGE = "04:A2:B3:C4"


def school_with_a_badge(directory: Path, now: datetime = SCHOOL_MORNING) -> str:
    """A site whose staff member holds badge ``BADGE``; the site id."""
    site_id = f"lycee-{secrets.token_hex(4)}"
    init_site(directory, site_id=site_id, name="Lycée Victor Hugo")
    with open_site(directory) as site, site.session() as session:
        staff = add_person(
            session, site_id, NewPerson("Girard", "Marc", date(1975, 3, 3), Role.STAFF), now=now
        )
        bind_badge(session, site_id, staff, BADGE, now=now)
    return site_id


def stored_outcomes(directory: Path) -> list[tuple[str, str, list[str]]]:
    with open_site(directory) as site, site.session() as session:
        rows = Passages(session).recent(site.site_id)
        return [(row.lane_id, row.outcome, list(row.reasons)) for row in rows]


def test_a_lane_in_process_decides_a_badge_from_stdin_and_stores_the_event(
    tmp_path: Path, product_clock: ProductClock
) -> None:
    directory = tmp_path / "site"
    school_with_a_badge(directory)
    product_clock.set(SCHOOL_MORNING)
    result = CliRunner().invoke(
        app,
        ["lane", "run", "--site-dir", str(directory), "--lane", "sortie", "--in-process",
         "--reader", "stdin"],
        input=f"{BADGE.lower()}\n04:FF:FF:FF\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(stored_outcomes(directory)) == [
        ("sortie", "deny", ["unknown_credential"]),
        ("sortie", "grant", ["credential_valid"]),
    ]
    lane_dir = directory / "lanes" / "sortie"
    assert (lane_dir / "snapshot.json").exists()
    assert lane_dir.stat().st_mode & 0o077 == 0


def test_a_qr_scanner_line_and_a_badge_line_both_decide_at_the_lane(
    tmp_path: Path, product_clock: ProductClock
) -> None:
    """A USB QR scanner in keyboard mode types the card's text and Enter, as a badge
    reader types a UID: a line starting with PQ: is a QR code, any other a badge."""
    directory = tmp_path / "site"
    site_id = school_with_a_badge(directory)
    with open_site(directory) as site, site.session() as session:
        person = add_person(
            session,
            site_id,
            NewPerson("Roux", "Léa", date(1980, 2, 2), Role.STAFF),
            now=SCHOOL_MORNING,
        )
        card = issue_credential(session, site_id, site.keyring(), person, now=SCHOOL_MORNING)
    product_clock.set(SCHOOL_MORNING)
    result = CliRunner().invoke(
        app,
        ["lane", "run", "--site-dir", str(directory), "--lane", "entree", "--in-process",
         "--reader", "stdin", "--display", "127.0.0.1:0"],
        input=f"{card.payload_text}\n{BADGE}\nPQ:DAMAGED!\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(stored_outcomes(directory)) == [
        ("entree", "deny", ["malformed_credential"]),
        ("entree", "grant", ["credential_valid"]),
        ("entree", "grant", ["credential_valid"]),
    ]
    token = directory / "lanes" / "entree" / "display.token"
    assert token.stat().st_mode & 0o077 == 0
    assert f"/{token.read_text().strip()}/" in result.output


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--reader", "osdp:/dev/ttyUSB0"], "--osdp-key"),
        (["--reader", "stdin", "--gpio", "open=/tmp/x"], "--gpio"),
        (["--reader", "stdin", "--display", "everywhere"], "HOST:PORT"),
        (["--reader", "stdin", "--pulse", "0"], "--pulse"),
    ],
)
def test_lane_devices_refuse_bad_options_with_one_clear_line(
    tmp_path: Path, options: list[str], fragment: str
) -> None:
    directory = tmp_path / "site"
    school_with_a_badge(directory)
    result = CliRunner().invoke(
        app, ["lane", "run", "--site-dir", str(directory), "--lane", "entree", "--in-process",
              *options],
        input="",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert fragment in result.output
    assert "Traceback" not in result.output


def test_a_lane_needs_exactly_one_link(tmp_path: Path) -> None:
    runner = CliRunner()
    both = runner.invoke(
        app,
        ["lane", "run", "--site-dir", str(tmp_path), "--lane", "entree", "--in-process",
         "--broker", "mqtt://127.0.0.1", "--reader", "stdin"],
    )  # fmt: skip
    assert both.exit_code == 2
    neither = runner.invoke(
        app, ["lane", "run", "--site-dir", str(tmp_path), "--lane", "entree", "--reader", "stdin"]
    )
    assert neither.exit_code == 2


def broker_answers(host: str = "127.0.0.1", port: int = 1883) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def test_a_lane_over_mqtt_sends_its_events_to_the_hub(tmp_path: Path) -> None:
    """The lane decides on its own clock: both processes run on a school morning."""
    if not broker_answers():
        pytest.skip("no MQTT broker on 127.0.0.1:1883: start Mosquitto")
    directory = tmp_path / "site"
    site_id = school_with_a_badge(directory)
    broker = "mqtt://127.0.0.1:1883"
    env = ProductClock.environment(SCHOOL_MORNING, PORTIQUE_LANG="en")
    hub = subprocess.Popen(
        [sys.executable, "-m", "portique", "lane", "hub", "--dir", str(directory),
         "--broker", broker],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    device = tmp_path / "device"
    try:
        provisioned = subprocess.run(
            [sys.executable, "-m", "portique", "lane", "provision", "entree", "--out",
             str(device), "--dir", str(directory)],
            capture_output=True, text=True, timeout=60, env=env,
        )  # fmt: skip
        assert provisioned.returncode == 0, provisioned.stderr
        key = device / "keys" / "lane.key"
        assert key.exists() and key.stat().st_mode & 0o077 == 0
        lane = subprocess.run(
            [sys.executable, "-m", "portique", "lane", "run", "--site-dir", str(device),
             "--lane", "entree", "--broker", broker, "--reader", "stdin"],
            input=f"{BADGE}\n",
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )  # fmt: skip
        assert lane.returncode == 0, lane.stderr
        assert "ready" in lane.stderr
        deadline = time.monotonic() + 10
        while not stored_outcomes(directory) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert stored_outcomes(directory) == [("entree", "grant", ["credential_valid"])]
    finally:
        hub.terminate()
        _, errors = hub.communicate(timeout=20)
        _clear_retained(site_id)
    assert hub.returncode == 0, errors
    assert "Hub linked" in errors


def _clear_retained(site_id: str) -> None:
    """Removes what the hub left retained on the shared broker for this test's site."""
    from portique.lane import MqttBroker
    from portique.lane.comms import server_topic, snapshot_topic

    broker = MqttBroker("127.0.0.1", 1883)
    client = broker.client(f"portique-test-cleaner-{secrets.token_hex(3)}")
    client.connect(broker.host, broker.port)
    client.loop_start()
    for topic in (snapshot_topic(site_id, "entree"), server_topic(site_id)):
        client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()

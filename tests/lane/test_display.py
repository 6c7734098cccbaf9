"""The lane display: its board, its server (token path, strict headers, server-sent
events) and what the lane tells it, with no last name and no reason ever."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import numpy as np
import pytest
from lane_support import ENTRY, LaneSchool, face, wait_until

from portique.access import Outcome, Reason
from portique.biometrics import FaceEngine
from portique.lane import SimulatedLane, WalkUp
from portique.lane.drivers.approach import Approach, approach_frames
from portique.lane.drivers.display import (
    CONTENT_SECURITY_POLICY,
    MAX_VIEWERS,
    DisplayBoard,
    DisplayError,
    DisplayServer,
    Screen,
    SimulatedDisplay,
    display_token,
    parse_address,
    shown_first_name,
)

REASON_WORDS = ("emploi du temps", "timetable", "révoqué", "revoked", "sortie", "exit")


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[DisplayServer]:
    served = DisplayServer("127.0.0.1", 0, "t0ken-for-the-tests-0123", board=DisplayBoard())
    served.start()
    yield served
    served.close()


def test_an_outcome_holds_then_the_instruction_comes_back() -> None:
    clock = Clock()
    board = DisplayBoard(hold_s=4.0, clock=clock)
    assert board.current().screen is Screen.IDLE
    board.show(Outcome.GRANT, "Léa")
    shown = board.current()
    assert (shown.screen, shown.first_name, shown.hold_s) == (Screen.GRANT, "Léa", 4.0)
    clock.now += 3.9
    assert board.current().screen is Screen.GRANT
    clock.now += 0.2
    back = board.current()
    assert back.screen is Screen.IDLE and back.serial > shown.serial


def test_only_a_grant_carries_a_first_name() -> None:
    board = DisplayBoard()
    board.show(Outcome.DENY, "Léa")
    assert board.current().first_name is None
    board.show(Outcome.REFER, "Léa")
    assert board.current().first_name is None
    board.look()
    assert board.current().as_json() == {
        "screen": "look",
        "serial": 3,
        "first_name": None,
        "hold_s": None,
    }


def test_a_first_name_is_shown_printable_and_short() -> None:
    assert shown_first_name("  Marie-\u200bLou\n") == "Marie-Lou"
    assert shown_first_name("x" * 100) == "x" * 40
    assert shown_first_name("\x1b[31m") == "[31m"
    assert shown_first_name("") is None and shown_first_name(None) is None


def test_the_page_is_served_only_under_its_token_with_strict_headers(
    server: DisplayServer,
) -> None:
    base = f"http://127.0.0.1:{server.port}"
    for path in ("/", "/events", "/display.js", "/t0ken-for-the-tests-012/", "/../"):
        assert httpx.get(base + path).status_code == 404, path
    page = httpx.get(server.url())
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert '<html lang="fr">' in page.text
    assert "Présentez votre carte ou votre QR code" in page.text
    assert 'aria-live="assertive"' in page.text and "<script>" not in page.text
    english = httpx.get(server.url() + "?lang=en")
    assert '<html lang="en">' in english.text and "Show your card" in english.text
    assert (
        httpx.get(server.url() + "display.js").headers["content-type"].startswith("text/javascript")
    )
    assert httpx.post(server.url(), content=b"x").status_code == 405


def read_states(url: str, count: int, into: list[dict[str, object]]) -> None:
    with httpx.stream("GET", url, timeout=10) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                into.append(json.loads(line[6:]))
                if len(into) == count:
                    return


def test_screens_follow_the_lane_live_and_carry_nothing_but_a_first_name(
    server: DisplayServer,
) -> None:
    states: list[dict[str, object]] = []
    reader = threading.Thread(target=read_states, args=(server.url() + "events", 4, states))
    reader.start()
    assert wait_until(lambda: states, 5)
    # One change at a time, as passages come: a screen shows the latest state only.
    for count, change in enumerate(
        (
            server.look,
            lambda: server.show(Outcome.GRANT, "Léa"),
            lambda: server.show(Outcome.DENY, None),
        ),
        start=2,
    ):
        change()
        assert wait_until(lambda count=count: len(states) >= count, 5)  # type: ignore[misc]
    reader.join(10)
    assert [state["screen"] for state in states] == ["idle", "look", "grant", "deny"]
    assert states[2]["first_name"] == "Léa" and states[3]["first_name"] is None
    for state in states:
        assert set(state) == {"screen", "serial", "first_name", "hold_s"}


def test_a_crowd_of_screens_is_turned_away(server: DisplayServer) -> None:
    streams = [
        httpx.Client(timeout=5).stream("GET", server.url() + "events") for _ in range(MAX_VIEWERS)
    ]
    opened = [stream.__enter__() for stream in streams]
    try:
        assert all(response.status_code == 200 for response in opened)
        assert httpx.get(server.url() + "events", timeout=5).status_code == 503
    finally:
        for stream in streams:
            stream.__exit__(None, None, None)


def test_the_display_token_is_kept_owner_only_and_replaced_when_exposed(tmp_path: Path) -> None:
    token = display_token(tmp_path)
    assert len(token) >= 22 and display_token(tmp_path) == token
    assert (tmp_path / "display.token").stat().st_mode & 0o077 == 0
    (tmp_path / "display.token").chmod(0o644)
    with pytest.raises(DisplayError, match="other users"):
        display_token(tmp_path)


def test_a_display_address_is_host_and_port() -> None:
    assert parse_address("0.0.0.0:8080") == ("0.0.0.0", 8080)
    assert parse_address("[::1]:9000") == ("::1", 9000)
    for wrong in ("8080", "host:", "host:port", "host:70000"):
        with pytest.raises(DisplayError):
            parse_address(wrong)


# What the lane tells its display -----------------------------------------------------------


def test_the_snapshot_carries_first_names_and_never_a_last_name(school: LaneSchool) -> None:
    student = school.student()
    snapshot = school.snapshot()
    assert snapshot.first_name(student) == "Camille"
    assert b"Martin" not in snapshot.to_bytes()  # everyone's last name in LaneSchool
    again = type(snapshot).from_bytes(snapshot.to_bytes())
    assert again.first_names == snapshot.first_names
    # A snapshot from a server older than the display: no names, the display says Bienvenue.
    older = json.loads(snapshot.to_bytes())
    del older["first_names"]
    assert type(snapshot).from_bytes(json.dumps(older).encode()).first_names == {}


@pytest.fixture
def lane(school: LaneSchool, lane_engine: FaceEngine, tmp_path: Path) -> Iterator[SimulatedLane]:
    from portique.lane import InProcessHub
    from portique.services.lanes import StoreSink

    hub = InProcessHub(StoreSink(school.site.session, school.site.passages))
    simulated = SimulatedLane(
        school.lane_config(tmp_path / "lane"),
        transport=hub.connect(school.site_id, ENTRY),
        face_engine=lane_engine,
        display=SimulatedDisplay(),
    )
    hub.publish_snapshot(school.snapshot())
    simulated.start()
    yield simulated
    simulated.close()


def test_the_lane_greets_by_first_name_and_refuses_without_a_reason(
    school: LaneSchool, lane: SimulatedLane
) -> None:
    card = school.card(school.student())
    revoked = school.card(school.student())
    school.revoke(revoked.credential_id)
    lane.lane.apply_snapshot(school.snapshot())
    display = lane.lane.display
    assert isinstance(display, SimulatedDisplay)
    granted = lane.play(WalkUp(card.payload_text, None, at=school.at(8, 5)))
    refused = lane.play(WalkUp(revoked.payload_text, None, at=school.at(8, 6)))
    assert granted is not None and granted.decision.granted
    assert refused is not None and refused.decision.reasons == (Reason.REVOKED,)
    assert display.screens == [Screen.GRANT, Screen.DENY]
    assert [state.first_name for state in display.states] == ["Camille", None]
    shown = json.dumps([state.as_json() for state in display.states]).lower()
    assert "martin" not in shown
    assert not any(word in shown for word in REASON_WORDS)


def test_the_person_is_asked_to_look_only_when_the_approach_held_no_usable_face(
    school: LaneSchool, lane: SimulatedLane, lfw_images: Path
) -> None:
    _, card = school.enrolled_student(lfw_images, "Colin_Powell")
    lane.lane.apply_snapshot(school.snapshot())
    display = lane.lane.display
    assert isinstance(display, SimulatedDisplay)
    walker = face(lfw_images, "Colin_Powell", 2)
    seen = lane.play(WalkUp(card.payload_text, walker, at=school.at(8, 5)))
    assert seen is not None and seen.decision.granted
    assert display.screens == [Screen.GRANT]
    # Hidden behind the person ahead until the reader: the ring holds no face.
    approach = Approach(dwell_s=0.3)
    frames = approach_frames(walker, approach, seed=4)
    camera = lane.lane.camera
    assert camera is not None
    lane.camera.show(*[np.full_like(frames[0], 90)] * 10)
    while camera.read() is not None:
        pass
    lane.camera.show(*frames[approach.read_index :])
    next_week = school.at(8, 5, day=school.day + timedelta(days=7))
    lane.lane.forget_reads()  # another day, the same card
    looked = lane.lane.present_badge(card.payload_text, at=next_week)
    assert looked is not None and looked.face_compared
    assert display.screens[1:] == [Screen.LOOK, _screen(looked.decision.outcome)]


def _screen(outcome: Outcome) -> Screen:
    return {Outcome.GRANT: Screen.GRANT, Outcome.DENY: Screen.DENY, Outcome.REFER: Screen.REFER}[
        outcome
    ]

"""The "offline lane" alert: a lane heard from once and silent past the threshold."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from server_support import Server, stream_events

from portique.lane import Lane, LaneConfig, MemorySink
from portique.lane.comms import InProcessHub
from portique.services.lanes import StoreSink

ENTRY = "entree"


@pytest.fixture
def hub(server: Server) -> InProcessHub:
    """The server's end of the link, recording heartbeats in the server's store."""
    site = server.app.state.portique.site
    return InProcessHub(
        MemorySink(), lane_status=StoreSink(site.session, site.passages), clock=server.clock
    )


@pytest.fixture
def lane(server: Server, hub: InProcessHub, tmp_path: Path) -> Iterator[Lane]:
    site_id = server.app.state.portique.site.site_id
    made = Lane(
        LaneConfig(site_id, ENTRY, tmp_path / "lane"), transport=hub.connect(site_id, ENTRY)
    )
    made.start(forward=False)
    yield made
    made.close()


def test_a_lane_never_heard_from_is_no_alert(server: Server, lane: Lane) -> None:
    server.clock.advance(minutes=10)
    assert server.signed_in("agent").get("/api/v1/alerts").json() == []


def test_a_silent_lane_is_an_alert_after_the_threshold_and_a_heartbeat_clears_it(
    server: Server, lane: Lane
) -> None:
    agent = server.signed_in("agent")
    assert lane.heartbeat()
    server.clock.advance(seconds=60)
    assert agent.get("/api/v1/alerts").json() == []

    server.clock.advance(seconds=1)
    alerts = agent.get("/api/v1/alerts").json()
    assert [(a["kind"], a["lane_id"], a["label"], a["left"]) for a in alerts] == [
        ("lane_offline", ENTRY, "Voie hors ligne", False)
    ]
    assert "Voie hors ligne" in agent.get("/alerts").text
    assert "Voie hors ligne" in agent.get("/live").text
    english = agent.get("/api/v1/alerts", headers={"Accept-Language": "en"}).json()
    assert english[0]["label"] == "Lane offline"

    assert lane.heartbeat()
    assert agent.get("/api/v1/alerts").json() == []
    assert "offline-lane" not in agent.get("/alerts").text


def test_a_lane_that_closes_is_an_alert_at_once(server: Server, lane: Lane) -> None:
    assert lane.heartbeat()
    lane.close()
    alerts = server.signed_in("agent").get("/api/v1/alerts").json()
    assert [(a["lane_id"], a["left"]) for a in alerts] == [(ENTRY, True)]


def test_an_offline_lane_is_pushed_on_the_live_stream_as_it_is_raised(
    server: Server, lane: Lane
) -> None:
    agent = server.signed_in("agent")
    assert lane.heartbeat()
    assert [kind for kind, _ in stream_events(agent)] == ["lockdown", "end"]
    server.clock.advance(seconds=61)
    alerts = [data for kind, data in stream_events(agent) if kind == "alert"]
    assert [(a["kind"], a["lane_id"]) for a in alerts] == [("lane_offline", ENTRY)]

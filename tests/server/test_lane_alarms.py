"""Door and reader alarms of a lane reach the agents as alerts, through the same path as
the passages (lane outbox, hub, store): listed by the API and the console's alerts page,
acknowledged there."""

from __future__ import annotations

from pathlib import Path

from server_support import Server

from portique.access import Reason
from portique.lane import Lane, LaneConfig
from portique.lane.comms import InProcessHub
from portique.services.lanes import StoreSink

ENTRY = "entree"


def test_door_and_reader_alarms_are_alerts_the_agent_acknowledges(
    server: Server, tmp_path: Path
) -> None:
    site = server.app.state.portique.site
    hub = InProcessHub(StoreSink(site.session, site.passages))
    lane = Lane(
        LaneConfig(site.site_id, ENTRY, tmp_path / "lane"),
        transport=hub.connect(site.site_id, ENTRY),
        clock=server.clock,
    )
    lane.start()
    try:
        lane.raise_alarm(Reason.DOOR_FORCED)
        lane.raise_alarm(Reason.READER_SILENT)
        assert lane.wait_forwarded(5)
    finally:
        lane.close()
    agent = server.signed_in("agent")
    alerts = agent.get("/api/v1/alerts").json()
    labels = sorted(a["reasons"][0]["label"] for a in alerts)
    assert labels == ["Lecteur muet (ne répond plus)", "Porte forcée"]
    assert all(a["person_id"] is None and a["credential_id"] is None for a in alerts)
    page = agent.get("/alerts").text
    assert "Porte forcée" in page and "Lecteur muet" in page
    english = agent.get("/api/v1/alerts", headers={"Accept-Language": "en"}).json()
    assert {a["reasons"][0]["label"] for a in english} == {
        "Door forced",
        "Reader silent (no longer answers)",
    }
    forced = next(a for a in alerts if a["reasons"][0]["code"] == "door_forced")
    done = agent.post(f"/api/v1/alerts/{forced['passage_id']}/acknowledge")
    assert done.status_code == 200, done.text
    assert [a["reasons"][0]["code"] for a in agent.get("/api/v1/alerts").json()] == [
        "reader_silent"
    ]

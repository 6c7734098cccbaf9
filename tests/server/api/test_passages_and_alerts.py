"""Passages through the API, the live stream, alerts, referrals, lockdown and roster."""

from __future__ import annotations

from server_support import Server, add_person, issue_card, present, stream_events

_events = stream_events


def test_a_lane_presents_a_card_and_the_passage_is_granted_and_recorded(server: Server) -> None:
    admin = server.signed_in("administration")
    card = issue_card(admin, add_person(admin))
    passage = present(server.lane(), card)
    assert passage["outcome"] == "grant"
    assert passage["reasons"] == [{"code": "credential_valid", "label": "Titre d'accès valide"}]
    assert passage["person_name"] is None  # a lane gets back no name

    agent = server.signed_in("agent")
    listed = agent.get("/api/v1/passages").json()
    assert [p["passage_id"] for p in listed] == [passage["passage_id"]]
    assert listed[0]["person_name"] == "Paul Bernard"


def test_a_lanes_token_records_at_its_own_lane_only(server: Server) -> None:
    admin = server.signed_in("administration")
    card = issue_card(admin, add_person(admin))
    response = server.lane().post("/api/v1/passages", json={"lane_id": "sortie", "qr_text": card})
    assert response.status_code == 403
    assert server.signed_in("agent").get("/api/v1/passages").json() == []
    assert present(server.lane("sortie"), card, lane_id="sortie")["lane_id"] == "sortie"


def test_labels_follow_the_language_asked(server: Server) -> None:
    passage = server.lane().post(
        "/api/v1/passages?lang=en", json={"lane_id": "entree", "badge_uid": "04A1B2C3"}
    )
    assert passage.json()["passage"]["reasons"][0]["label"] == "Unknown credential"
    agent = server.signed_in("agent")
    listed = agent.get("/api/v1/passages", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert listed.json()[0]["outcome_label"] == "Denied"


def test_text_that_is_no_credential_is_refused_with_a_reason_not_an_error(
    server: Server,
) -> None:
    passage = present(server.lane(), "hello world")
    assert passage["outcome"] == "deny"
    assert passage["reasons"][0]["code"] == "malformed_credential"


def test_an_unknown_lane_is_a_404_and_nothing_is_recorded(server: Server) -> None:
    lane = server.lane()
    response = lane.post("/api/v1/passages", json={"lane_id": "roof", "badge_uid": "04A1B2C3"})
    assert response.status_code == 404
    assert server.signed_in("agent").get("/api/v1/passages").json() == []


def test_a_passage_needs_exactly_one_credential(server: Server) -> None:
    lane = server.lane()
    both = lane.post(
        "/api/v1/passages", json={"lane_id": "entree", "qr_text": "PQ:x", "badge_uid": "04A1"}
    )
    neither = lane.post("/api/v1/passages", json={"lane_id": "entree"})
    assert both.status_code == neither.status_code == 422
    assert "exactly one" in neither.json()["message"]


def test_the_live_stream_sends_each_passage_and_the_lockdown_state(server: Server) -> None:
    admin = server.signed_in("administration")
    card = issue_card(admin, add_person(admin))
    passage = present(server.lane(), card)
    events = _events(server.signed_in("agent"))
    kinds = [kind for kind, _ in events]
    # The stream, for the agent, names the holder the lane was not told.
    assert ("passage", {**passage, "person_name": "Paul Bernard"}) in events
    assert ("lockdown", {"in_force": False, "since": None, "declared_by": None}) in events
    assert kinds[-1] == "end"


def test_lanes_are_listed(server: Server) -> None:
    lanes = server.signed_in("agent").get("/api/v1/lanes").json()
    assert [(lane["lane_id"], lane["direction"]) for lane in lanes] == [
        ("entree", "in"),
        ("sortie", "out"),
    ]


def test_a_referral_waits_in_the_alerts_until_the_agent_decides_it(server: Server) -> None:
    admin = server.signed_in("administration")
    card = issue_card(admin, add_person(admin))
    server.clock.at(22)  # the site is closed: referred to the agent by default
    passage = present(server.lane(), card)
    assert passage["outcome"] == "refer"
    agent = server.signed_in("agent")
    assert [a["passage_id"] for a in agent.get("/api/v1/alerts").json()] == [passage["passage_id"]]

    no_reason = agent.post(
        f"/api/v1/passages/{passage['passage_id']}/decision", json={"outcome": "grant"}
    )
    assert no_reason.status_code == 422
    decided = agent.post(
        f"/api/v1/passages/{passage['passage_id']}/decision",
        json={"outcome": "grant", "comment": "Réunion parents-professeurs"},
    )
    assert decided.status_code == 200
    review = decided.json()["review"]
    assert review["outcome"] == "grant"
    assert review["reviewed_by"] == "agent"
    assert review["comment"] == "Réunion parents-professeurs"
    assert agent.get("/api/v1/alerts").json() == []

    twice = agent.post(
        f"/api/v1/passages/{passage['passage_id']}/decision",
        json={"outcome": "deny", "comment": "changed my mind"},
    )
    assert twice.status_code == 409


def test_only_a_referral_can_be_decided_by_hand(server: Server) -> None:
    admin = server.signed_in("administration")
    passage = present(server.lane(), issue_card(admin, add_person(admin)))
    agent = server.signed_in("agent")
    response = agent.post(
        f"/api/v1/passages/{passage['passage_id']}/decision",
        json={"outcome": "deny", "comment": "no"},
    )
    assert response.status_code == 409
    unknown = agent.post("/api/v1/passages/0000/decision", json={"outcome": "deny", "comment": "x"})
    assert unknown.status_code == 404


def test_an_alert_is_acknowledged_once(server: Server) -> None:
    agent = server.signed_in("agent")
    agent.post("/api/v1/lockdown/start")
    passage = present(server.lane(), "PQ:forged")
    assert passage["alert"] or passage["outcome"] == "deny"
    alerts = agent.get("/api/v1/alerts").json()
    assert passage["passage_id"] in [a["passage_id"] for a in alerts]
    acknowledged = agent.post(f"/api/v1/alerts/{passage['passage_id']}/acknowledge")
    assert acknowledged.status_code == 200
    assert acknowledged.json()["review"]["outcome"] is None
    again = agent.post(f"/api/v1/alerts/{passage['passage_id']}/acknowledge")
    assert again.status_code == 409


def test_during_a_lockdown_the_next_entry_is_refused(server: Server) -> None:
    admin = server.signed_in("administration")
    card = issue_card(admin, add_person(admin))
    agent = server.signed_in("agent")
    started = agent.post("/api/v1/lockdown/start").json()
    assert started["in_force"] is True
    assert started["declared_by"] == "agent"

    passage = present(server.lane(), card)
    assert passage["outcome"] == "deny"
    assert "lockdown" in [reason["code"] for reason in passage["reasons"]]
    assert passage["alert"] is True

    ended = agent.post("/api/v1/lockdown/end").json()
    assert ended["in_force"] is False
    server.clock.advance(minutes=5)
    assert present(server.lane(), card)["outcome"] == "grant"


def test_the_roster_lists_who_came_in_and_not_who_left(server: Server) -> None:
    admin = server.signed_in("administration")
    paul = add_person(admin)
    anna = add_person(admin, last_name="Arnaud", first_name="Anna")
    paul_card, anna_card = issue_card(admin, paul), issue_card(admin, anna)
    lane = server.lane()
    present(lane, paul_card)
    present(lane, anna_card)
    server.clock.advance(minutes=30)
    present(server.lane("sortie"), anna_card, lane_id="sortie")

    roster = server.signed_in("agent").get("/api/v1/roster").json()
    assert roster["count"] == 1
    assert [entry["name"] for entry in roster["people"]] == ["Bernard Paul"]


def test_a_stream_resumed_after_the_last_passage_does_not_send_it_again(server: Server) -> None:
    admin = server.signed_in("administration")
    first = present(server.lane(), issue_card(admin, add_person(admin)))
    agent = server.signed_in("agent")

    def streamed() -> list[object]:
        return [data["passage_id"] for kind, data in _events(agent) if kind == "passage"]

    assert streamed() == [first["passage_id"]]
    agent.headers["Last-Event-ID"] = str(first["passage_id"])
    assert streamed() == []
    server.clock.advance(minutes=1)
    second = present(server.lane(), issue_card(admin, add_person(admin, last_name="Durand")))
    assert streamed() == [second["passage_id"]]

"""Fixtures for the lane tests: a school with faces, lane engines, brokers."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from lane_support import ENTRY, LaneSchool, PrivateBroker, broker_answers, missing

from portique.biometrics import FaceEngine, create_backend
from portique.lane import InProcessHub, MqttBroker, SimulatedLane, lane_face_engine
from portique.services.lanes import StoreSink

SHARED_BROKER = MqttBroker("127.0.0.1", 1883)


@pytest.fixture(scope="session")
def enrollment_engine() -> FaceEngine:
    """The engine that enrolls faces at the office (default detection profile)."""
    return FaceEngine(create_backend("dlib"))


@pytest.fixture(scope="session")
def lane_engine() -> FaceEngine:
    """The engine of a lane (its detection profile for large faces)."""
    return lane_face_engine()


@pytest.fixture
def school(tmp_path: Path, enrollment_engine: FaceEngine) -> Iterator[LaneSchool]:
    site = LaneSchool.create(
        tmp_path / "site", enrollment_engine, site_id=f"lycee-{secrets.token_hex(4)}"
    )
    yield site
    site.site.close()


@pytest.fixture
def hub(school: LaneSchool) -> InProcessHub:
    """The server's end of an in-process link, storing events in the school's store."""
    return InProcessHub(StoreSink(school.site.session, school.site.passages))


@pytest.fixture
def lane(
    school: LaneSchool, hub: InProcessHub, lane_engine: FaceEngine, tmp_path: Path
) -> Iterator[SimulatedLane]:
    """A simulated lane of the school, linked in process, comparing faces."""
    simulated = SimulatedLane(
        school.lane_config(tmp_path / "lane"),
        transport=hub.connect(school.site_id, ENTRY),
        face_engine=lane_engine,
    )
    yield simulated
    simulated.close()


@pytest.fixture
def private_broker() -> Iterator[PrivateBroker]:
    """A mosquitto of the test's own, which the test may kill and restart."""
    broker = PrivateBroker(PrivateBroker.find())
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def shared_broker() -> MqttBroker:
    """The machine's Mosquitto on 127.0.0.1:1883."""
    if not broker_answers(SHARED_BROKER.host, SHARED_BROKER.port):
        missing("no MQTT broker on 127.0.0.1:1883: start Mosquitto")
    return SHARED_BROKER

"""Lane latency (QR in a camera frame to decision, with and without face) and the events
per second the server ingests over MQTT through Mosquitto.

Latency: a site is made in a temporary folder through the services (face comparison on);
10 adults who opted in get a card carrying their face (LFW photos 1 and 3), 10 others a
plain card, 10 a badge. A simulated lane (real QR decoder, lane face engine, decision
engine; simulated camera) decides on its local snapshot: 640x480 frames, each holding
the card's QR code and a face (for those who opted in, another LFW photo of them). The
latency is the lane's own: credential in hand to decision, face capture and comparison
included, QR decoding excluded (reported apart). Anti-passback is turned off in the
lane's snapshot so the same people can pass again and again.

Ingest: an ``MqttHub`` and a lane's ``MqttTransport`` on the broker (default
127.0.0.1:1883); ``--events`` passage events are published QoS 1, one per message (a
live lane) and in batches of 100 (a lane catching up after an outage); the rate counts
from the first publish to the last receipt back at the lane, stored in memory and in
SQLite through the store.

    .venv/bin/python benchmarks/bench_lane.py [--passages 100] [--events 5000]
        [--broker mqtt://127.0.0.1:1883] [--lfw ../shared/datasets/lfw] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import platform
import secrets
import statistics
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from portique import clock
from portique.access import Person, Role
from portique.biometrics import BiometricInputError, FaceEngine, create_backend, load_image
from portique.bootstrap import init_site, open_site
from portique.credentials import payload_from_text, verify_credential
from portique.lane import (
    EventSink,
    LaneConfig,
    LaneSnapshot,
    MemorySink,
    MqttBroker,
    MqttHub,
    MqttTransport,
    PassageEvent,
    PassageResult,
    PresentBadge,
    Receipt,
    ShowCode,
    SimulatedLane,
    credential_frame,
    lane_face_engine,
    new_event_id,
)
from portique.lane.comms import events_topic, seal, snapshot_topic, unseal
from portique.lane.comms.envelope import Envelope, MessageKind, sign, verify
from portique.lane.comms.identity import (
    LaneIdentity,
    MemoryLaneDirectory,
    SiteTrust,
    new_lane_identity,
)
from portique.lane.events import events_to_bytes
from portique.lane.face import credential_template
from portique.services import NewPerson, add_person, bind_badge, grant_consent, issue_credential
from portique.services.lanes import StoreSink, site_snapshot
from portique.services.passages import PassageRecorder
from portique.store import Database, sqlite_url

PARIS = ZoneInfo("Europe/Paris")
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LFW = ROOT.parent / "shared" / "datasets" / "lfw"
FACES = (
    "Colin_Powell",
    "Tony_Blair",
    "George_W_Bush",
    "Donald_Rumsfeld",
    "Gerhard_Schroeder",
    "Ariel_Sharon",
    "Hugo_Chavez",
    "Junichiro_Koizumi",
    "Jean_Chretien",
    "John_Ashcroft",
)
WARMUP = 5


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "count": len(values),
        "p50": round(statistics.median(values), 2),
        "p95": round(_percentile(values, 0.95), 2),
        "max": round(max(values), 2),
    }


def _photo(lfw: Path, name: str, number: int) -> Path:
    return lfw / "images" / name / f"{name}_{number:04d}.jpg"


def _school_day() -> date:
    day = date.today() + timedelta(days=1)
    while day.weekday() != 1:  # a Tuesday
        day += timedelta(days=1)
    return day


def _make_site(directory: Path, lfw: Path) -> tuple[Any, dict[str, list[Any]]]:
    """A site with 10 enrolled adults, 10 plain cards and 10 badges."""
    init_site(directory, site_id="bench-lane", face=True)
    site = open_site(directory)
    now = datetime.now(UTC)
    today = now.astimezone(PARIS).date()
    enrollment = FaceEngine(create_backend("dlib"))
    keyring = site.keyring()
    people: dict[str, list[Any]] = {"face": [], "plain": [], "badge": []}
    with site.session() as session:
        for index, name in enumerate(FACES):
            person = add_person(
                session,
                site.site_id,
                NewPerson(f"Face{index}", "Agent", date(1980, 1, 1), Role.STAFF, (), ()),
                now=now,
            )
            grant_consent(session, site.site_id, person, by=None, now=now)
            card = issue_credential(
                session,
                site.site_id,
                keyring,
                person,
                now=now,
                faces=(_photo(lfw, name, 1), _photo(lfw, name, 3)),
                face_engine=lambda: enrollment,
                valid_from=today,
                valid_until=today + timedelta(days=30),
            )
            people["face"].append((payload_from_text(card.payload_text), name))
        for index in range(10):
            person = add_person(
                session,
                site.site_id,
                NewPerson(f"Plain{index}", "Agent", date(1980, 1, 1), Role.STAFF, (), ()),
                now=now,
            )
            card = issue_credential(session, site.site_id, keyring, person, now=now)
            people["plain"].append(payload_from_text(card.payload_text))
            badge_holder = add_person(
                session,
                site.site_id,
                NewPerson(f"Badge{index}", "Agent", date(1980, 1, 1), Role.STAFF, (), ()),
                now=now,
            )
            uid = f"04:A2:B3:{index:02X}"
            bind_badge(session, site.site_id, badge_holder, uid, now=now)
            people["badge"].append(uid)
    return site, people


def bench_latency(passages: int, lfw: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        site, people = _make_site(Path(folder) / "site", lfw)
        snapshot = site_snapshot(site)
        policy = snapshot.policy
        snapshot = LaneSnapshot(
            replace(policy, settings=replace(policy.settings, anti_passback_window=None)),
            snapshot.template_keys,
            snapshot.face_model,
        )
        site.close()
        lane = SimulatedLane(
            LaneConfig("bench-lane", "entree", Path(folder) / "lane"),
            face_engine=lane_face_engine(),
        )
        lane.lane.apply_snapshot(snapshot)
        at = datetime.combine(_school_day(), datetime.min.time(), tzinfo=PARIS) + timedelta(
            hours=10
        )
        faces = {
            name: [load_image(_photo(lfw, name, n)) for n in range(2, 2 + 12) if n != 3]
            for _, name in people["face"]
        }
        results: dict[str, list[PassageResult]] = {"face": [], "plain": [], "badge": []}
        assert lane.lane.capture is not None
        engine = lane.lane.capture.engine
        templates = {
            code: credential_template(
                verify_credential(code, snapshot.policy.verifiers, "bench-lane"),
                snapshot.template_keys,
                snapshot.face_model,
            )
            for code, _ in people["face"]
        }
        engine_ms: list[float] = []
        compared = matched = 0
        for index in range(passages + WARMUP):
            code, name = people["face"][index % len(people["face"])]
            own_face = faces[name][(index // len(people["face"])) % len(faces[name])]
            other = faces[FACES[(index + 1) % len(FACES)]][0]
            steps: dict[str, Any] = {
                "face": ShowCode(code, own_face, at=at),
                "plain": ShowCode(people["plain"][index % 10], other, at=at),
                "badge": PresentBadge(people["badge"][index % 10], at=at),
            }
            for kind, step in steps.items():
                result = lane.play(step)
                assert result is not None, f"no passage for {kind}"
                if index >= WARMUP:
                    results[kind].append(result)
                    if kind == "face":
                        compared += result.face_compared
                        matched += result.decision.granted
            # The face engine alone on the same frame, in the same run: what the lane adds.
            frame = credential_frame(code, own_face)
            started = time.perf_counter()
            template = templates[code]
            assert template is not None
            with contextlib.suppress(BiometricInputError):  # timed all the same
                engine.verify(frame, template)
            if index >= WARMUP:
                engine_ms.append((time.perf_counter() - started) * 1000.0)
        lane.close()
    qr = results["face"] + results["plain"]
    return {
        "passages_per_kind": passages,
        "with_face_ms": _summary([r.latency_ms for r in results["face"]]),
        "without_face_qr_ms": _summary([r.latency_ms for r in results["plain"]]),
        "without_face_badge_ms": _summary([r.latency_ms for r in results["badge"]]),
        "qr_decode_ms": _summary([r.decode_ms or 0.0 for r in qr]),
        "qr_in_frame_to_decision_with_face_ms": _summary(
            [(r.decode_ms or 0.0) + r.latency_ms for r in results["face"]]
        ),
        "qr_in_frame_to_decision_without_face_ms": _summary(
            [(r.decode_ms or 0.0) + r.latency_ms for r in results["plain"]]
        ),
        "face_engine_verify_ms": _summary(engine_ms),
        "face_compared": compared,
        "face_matched": matched,
    }


class _Receipts:
    """A lane's side of the ingest benchmark: counts the events acknowledged to it."""

    def __init__(self) -> None:
        self.acknowledged: set[str] = set()
        self.up = threading.Event()
        self.changed = threading.Condition()

    def snapshot_received(self, snapshot: LaneSnapshot) -> None:
        pass

    def receipt_received(self, receipt: Receipt) -> None:
        with self.changed:
            self.acknowledged.update(receipt.stored)
            self.changed.notify_all()

    def link_changed(self, up: bool) -> None:
        if up:
            self.up.set()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: len(self.acknowledged) >= count, timeout)


def _events(count: int, site_id: str, lane_id: str) -> list[PassageEvent]:
    from portique.access import Direction, Outcome, Reason

    start = datetime.now(UTC)
    return [
        PassageEvent(
            event_id=new_event_id(),
            site_id=site_id,
            lane_id=lane_id,
            direction=Direction.IN,
            time=start + timedelta(milliseconds=index),
            outcome=Outcome.GRANT,
            reasons=(Reason.CREDENTIAL_VALID,),
            alert=False,
            credential_id=f"credential{index % 500}",
            person_id=f"person{index % 500}",
            latency_ms=1.0,
            snapshot_version=1,
        )
        for index in range(count)
    ]


def _lane_process(
    broker: MqttBroker,
    site_id: str,
    lane_id: str,
    keys: tuple[bytes, bytes, bytes],
    count: int,
    batch: int,
    window: int,
    ready: Any,
    go: Any,
    results: Any,
) -> None:
    """One lane in a process of its own (as on its edge device): sends ``count`` events
    with at most ``window`` unacknowledged, as its outbox would, and reports how many
    receipts came back."""
    receipts = _Receipts()
    signing, link, server = keys
    identity = LaneIdentity(
        site_id,
        lane_id,
        Ed25519PrivateKey.from_private_bytes(signing),
        link,
        Ed25519PublicKey.from_public_bytes(server),
    )
    transport = MqttTransport(broker, identity)
    transport.start(receipts)
    receipts.up.wait(10)
    events = _events(count, site_id, lane_id)
    ready.set()
    go.wait(60)
    for index in range(0, count, batch):
        receipts.wait_for(index + batch - window, 60)
        while not transport.send(events[index : index + batch]):
            time.sleep(0.001)
    receipts.wait_for(count, 120)
    results.put(len(receipts.acknowledged))
    transport.close()


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _ingest_once(
    broker: MqttBroker, sink: EventSink, count: int, batch: int, lanes: int, window: int
) -> dict[str, Any]:
    """The server's hub in this process, ``lanes`` lanes in their own processes."""
    site_id = f"bench-{secrets.token_hex(3)}"
    lane_ids = [f"lane{number}" for number in range(lanes)]
    directory = MemoryLaneDirectory()
    trust = SiteTrust(site_id, Ed25519PrivateKey.generate(), directory)
    keys = {}
    for lane_id in lane_ids:
        identity, record = new_lane_identity(site_id, lane_id, trust.public_key, clock.now())
        directory.put(record)
        keys[lane_id] = (
            _raw(identity.signing_key),
            identity.link_key,
            _raw_public(trust.public_key),
        )
    hub = MqttHub(broker, sink, [trust])
    hub.start()
    if not hub.wait_connected(10):
        raise SystemExit(f"no broker at {broker.shown}")
    context = multiprocessing.get_context("spawn")
    go, results = context.Event(), context.Queue()
    per_lane = count // lanes
    workers = []
    for number in range(lanes):
        ready = context.Event()
        worker = context.Process(
            target=_lane_process,
            args=(
                broker,
                site_id,
                lane_ids[number],
                keys[lane_ids[number]],
                per_lane,
                batch,
                window,
                ready,
                go,
                results,
            ),
        )
        worker.start()
        workers.append((worker, ready))
    for _, ready in workers:
        ready.wait(60)
    started = time.perf_counter()
    go.set()
    acknowledged = sum(results.get(timeout=180) for _ in workers)
    elapsed = time.perf_counter() - started
    for worker, _ in workers:
        worker.join(timeout=10)
    hub.close()
    _clear(broker, site_id)
    return {
        "events": per_lane * lanes,
        "lanes": lanes,
        "batch": batch,
        "window": window,
        "acknowledged": acknowledged,
        "seconds": round(elapsed, 3),
        "events_per_s": round(acknowledged / elapsed),
        "stored": hub.ingestor.stored,
        "duplicates": hub.ingestor.duplicates,
    }


def _clear(broker: MqttBroker, site_id: str) -> None:
    from portique.lane.comms.mqtt import server_topic

    client = broker.client(f"portique-bench-cleaner-{secrets.token_hex(3)}")
    client.connect(broker.host, broker.port)
    client.loop_start()
    for topic in (server_topic(site_id),):
        client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def bench_ingest(broker: MqttBroker, count: int, lanes: int, window: int) -> list[dict[str, Any]]:
    runs = []
    for batch in (1, 100):
        memory = _ingest_once(broker, MemorySink(), count, batch, lanes, window)
        runs.append({"sink": "memory", **memory})
        with tempfile.TemporaryDirectory() as folder:
            database = Database(sqlite_url(Path(folder)))
            database.upgrade()
            runs.append(
                {
                    "sink": "store (SQLite)",
                    **_ingest_once(
                        broker,
                        StoreSink(database.session, PassageRecorder()),
                        count,
                        batch,
                        lanes,
                        window,
                    ),
                }
            )
            database.dispose()
    return runs


def bench_trust(people: int, rounds: int) -> dict[str, Any]:
    """What signing costs: a lane's snapshot of ``people`` people signed and sealed by the
    hub, opened, verified and parsed by the lane; one event batch signed and sealed by
    the lane, opened and verified by the hub."""
    with tempfile.TemporaryDirectory() as folder:
        init_site(Path(folder) / "site", site_id="bench-trust", face=True)
        site = open_site(Path(folder) / "site")
        try:
            base = site_snapshot(site)
        finally:
            site.close()
    policy = base.policy
    crowd = {
        f"p{index:05d}": Person(f"p{index:05d}", Role.STUDENT, date(2010, 1, 1))
        for index in range(people)
    }
    snapshot = replace(base, policy=replace(policy, people=crowd))
    server = Ed25519PrivateKey.generate()
    identity, _ = new_lane_identity("bench-trust", "entree", server.public_key(), clock.now())
    topic = snapshot_topic("bench-trust", "entree")
    now = clock.now()
    signing, opening = [], []
    message = b""
    for counter in range(rounds):
        started = time.perf_counter()
        body = snapshot.for_lane("entree", issued_at=now, expires_at=now).to_bytes()
        envelope = Envelope(MessageKind.SNAPSHOT, "bench-trust", "entree", counter + 1, body)
        message = seal(identity.link_key, topic, sign(envelope, topic, server))
        signing.append((time.perf_counter() - started) * 1000.0)
        started = time.perf_counter()
        opened = verify(unseal(identity.link_key, topic, message), topic, server.public_key())
        LaneSnapshot.from_bytes(opened.body)
        opening.append((time.perf_counter() - started) * 1000.0)
    events_at = events_topic("bench-trust", "entree")
    batch = events_to_bytes(_events(1, "bench-trust", "entree"))
    wrap, unwrap = [], []
    for counter in range(rounds * 20):
        started = time.perf_counter()
        envelope = Envelope(MessageKind.EVENTS, "bench-trust", "entree", counter + 1, batch)
        sealed = seal(identity.link_key, events_at, sign(envelope, events_at, identity.signing_key))
        wrap.append((time.perf_counter() - started) * 1000.0)
        started = time.perf_counter()
        verify(
            unseal(identity.link_key, events_at, sealed),
            events_at,
            identity.signing_key.public_key(),
        )
        unwrap.append((time.perf_counter() - started) * 1000.0)
    return {
        "snapshot_people": people,
        "snapshot_bytes": len(message),
        "snapshot_sign_and_seal_ms": _summary(signing),
        "snapshot_open_verify_parse_ms": _summary(opening),
        "event_sign_and_seal_ms": _summary(wrap),
        "event_open_and_verify_ms": _summary(unwrap),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=100, help="timed passages per kind")
    parser.add_argument("--events", type=int, default=5000, help="events per ingest run")
    parser.add_argument("--lanes", type=int, default=4, help="lanes sending at once")
    parser.add_argument(
        "--window", type=int, default=200, help="unacknowledged events a lane lets out"
    )
    parser.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    parser.add_argument("--lfw", type=Path, default=DEFAULT_LFW)
    parser.add_argument("--part", choices=("all", "latency", "ingest", "trust"), default="all")
    parser.add_argument("--people", type=int, default=2000, help="people in the trust snapshot")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    latency = bench_latency(args.passages, args.lfw) if args.part in ("all", "latency") else None
    ingest = (
        bench_ingest(MqttBroker.parse(args.broker), args.events, args.lanes, args.window)
        if args.part in ("all", "ingest")
        else None
    )
    trust = bench_trust(args.people, 20) if args.part in ("all", "trust") else None
    result = {
        "latency": latency,
        "ingest": ingest,
        "trust": trust,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }
    if args.json:
        print(json.dumps(result))
        return
    if latency is not None:
        print(f"Lane latency ({latency['passages_per_kind']} passages per kind, ms)")
        print(f"  {'':52} {'p50':>8} {'p95':>8} {'max':>8}")
        for key, label in (
            ("with_face_ms", "with face (budget p95 ≤ 50), decode excluded"),
            ("without_face_qr_ms", "without face, QR (budget p95 ≤ 5), decode excluded"),
            ("without_face_badge_ms", "without face, badge (budget p95 ≤ 5)"),
            ("face_engine_verify_ms", "face engine's verify alone, same frames, same run"),
            ("qr_decode_ms", "QR decoding of a 640x480 frame"),
            ("qr_in_frame_to_decision_with_face_ms", "QR in frame to decision, with face"),
            ("qr_in_frame_to_decision_without_face_ms", "QR in frame to decision, without face"),
        ):
            figures = latency[key]
            print(f"  {label:52} {figures['p50']:8.2f} {figures['p95']:8.2f} {figures['max']:8.2f}")
        compared, matched = latency["face_compared"], latency["face_matched"]
        print(f"  faces compared {compared}, matched (GRANT) {matched}")
    if ingest is not None:
        print(
            f"Ingest over MQTT ({args.broker}, {args.lanes} lanes, ≤ {args.window} events "
            "unacknowledged per lane; target ≥ 1,000 events/s)"
        )
        for run in ingest:
            print(
                f"  {run['sink']:15} batch {run['batch']:>3}: {run['events_per_s']:>7} events/s "
                f"({run['acknowledged']}/{run['events']} acknowledged in {run['seconds']} s, "
                f"{run['duplicates']} duplicates)"
            )
    if trust is not None:
        print(
            f"Signatures ({trust['snapshot_people']} people, {trust['snapshot_bytes']} bytes, ms)"
        )
        for key in (
            "snapshot_sign_and_seal_ms",
            "snapshot_open_verify_parse_ms",
            "event_sign_and_seal_ms",
            "event_open_and_verify_ms",
        ):
            figures = trust[key]
            print(f"  {key:34} p50 {figures['p50']:8.3f} p95 {figures['p95']:8.3f}")
    print(f"load average {result['load_average']}")


if __name__ == "__main__":
    main()

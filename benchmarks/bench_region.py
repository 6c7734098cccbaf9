"""A regional morning rush on one machine (issue 20): lanes of many sites publish through
Mosquitto to two hubs sharing them (MQTT 5 shared subscription) and PostgreSQL, while
agents' consoles follow the live stream of a `portique serve --workers 2`.

The rush: ``--pupils`` (150,000) over ``--minutes`` (30), peaking at ``--peak`` (3) times
the mean rate. Bounded in time, it is played in two phases:

1. **peak**: the peak rate for ``--seconds`` (60): latency from the lane's decision to
   the event stored (in the hub, after its commit) and to the first console that shows
   it (server-sent events), p50/p95/p99;
2. **saturation**: ``--saturate`` more events as fast as the lanes can publish them: the
   sustained ingest rate of the two hubs, against the peak rate.

Every event published is then looked for in the database: stored exactly once.

Lanes are simulated at the link: each of ``--sites`` × ``--lanes`` lanes has its own
identity (signing and link keys) and sends signed, sealed event messages on its own
topic, as a lane's transport does; their decisions are not re-made (they are the edge
devices' work, measured in "Lanes"). The consoles follow ``--live-sites`` sites (real
sites, with accounts and sessions in the database), ``--sessions`` streams in all.
Loopback only: a Mosquitto of its own on 127.0.0.1 (no queue limit), PostgreSQL on
127.0.0.1:5432 (a database of its own, dropped at the end). Run from the repository root:

    .venv/bin/python benchmarks/bench_region.py [--seconds 60] [--saturate 20000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.synchronize import Event as EventFlag
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_support import percentile

from portique.access import Direction, Outcome, Reason
from portique.lane.comms.envelope import Envelope, MessageCounter, MessageKind, sign
from portique.lane.comms.identity import (
    LaneIdentity,
    MemoryLaneDirectory,
    SiteTrust,
    new_lane_identity,
    new_signing_key,
)
from portique.lane.comms.link import seal
from portique.lane.comms.mqtt import MqttBroker, MqttHub, events_topic
from portique.lane.events import PassageEvent, events_to_bytes

MAINTENANCE_URL = os.environ.get(
    "PORTIQUE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BROKER_PORT = 18830 + secrets.randbelow(100)
BROKER = MqttBroker("127.0.0.1", BROKER_PORT)
BROKER_CONFIG = """listener {port} 127.0.0.1
allow_anonymous true
max_queued_messages 0
max_inflight_messages 100
"""
"""A Mosquitto of the benchmark's own: the saturation phase queues far more than the
default 1,000 messages per client (real lanes wait for receipts; these do not)."""
SHARE = "bench-hubs"
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Plan:
    sites: int
    lanes: int
    pupils: int
    minutes: float
    peak: float
    seconds: float
    saturate: int
    sessions: int
    live_sites: int
    publishers: int

    @property
    def mean_rate(self) -> float:
        return self.pupils / (self.minutes * 60)

    @property
    def peak_rate(self) -> float:
        return self.mean_rate * self.peak


def _database(work: Path) -> tuple[str, str]:
    """A fresh PostgreSQL database with the schema; its URL and name."""
    from portique.store import Database

    name = f"portique_bench_{secrets.token_hex(4)}"
    admin = create_engine(MAINTENANCE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = create_engine(MAINTENANCE_URL).url.set(database=name).render_as_string(False)
    database = Database(url)
    database.upgrade()
    database.dispose()
    return url, name


def _drop(name: str) -> None:
    admin = create_engine(MAINTENANCE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _live_sites(work: Path, url: str, plan: Plan) -> tuple[list[Path], list[tuple[str, str]]]:
    """The sites the consoles follow, each with an agent; the sessions' (site, cookie)."""
    from portique import clock
    from portique.bootstrap import init_site, open_site
    from portique.server import ServerSettings, create_account
    from portique.server.sessions import SessionStore

    folders, sessions = [], []
    for number in range(plan.live_sites):
        folder = work / f"site-{number:03d}"
        site_id = f"lycee-{number:03d}"
        init_site(folder, site_id=site_id, name=f"Lycée {number}", database_url=url)
        with open_site(folder, database_url=url) as site:
            create_account(site, "agent", PASSWORD, "agent", now=clock.now())
            store = SessionStore(ServerSettings(plain_http=True), site.database)
            for _ in range(plan.sessions // plan.live_sites):
                opened = store.open(site_id, "agent", now=clock.now())
                sessions.append((site_id, opened.session_id))
        folders.append(folder)
    return folders, sessions


def _serve(folders: list[Path], url: str, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "portique", "serve", "--dir", str(folders[0])]
    for folder in folders[1:]:
        command += ["--site-dir", str(folder)]
    command += ["--port", str(port), "--plain-http", "--workers", "2"]
    environment = {**os.environ, "PORTIQUE_DATABASE_URL": url, "PORTIQUE_PURGE_INTERVAL_HOURS": "0"}
    return subprocess.Popen(command, env=environment, stderr=subprocess.DEVNULL)


def _hub(url: str, trusts: list[SiteTrust], stop: EventFlag, out: Path, ready: Any) -> None:
    """One hub process: the shared subscription in, PostgreSQL out; writes, per event
    stored, its id and the seconds from its decision to its commit."""
    from portique.services.lanes import StoreSink
    from portique.services.live import announce_passages
    from portique.services.passages import PassageRecorder
    from portique.store import Database

    database = Database(url)
    inner = StoreSink(database.session, PassageRecorder((announce_passages,)))
    stored: list[tuple[str, float, float]] = []

    class Timed:
        def store(self, events: Any) -> int:
            count = inner.store(events)
            now = time.time()
            stored.extend((e.event_id, now - e.time.timestamp(), now) for e in events)
            return count

    hub = MqttHub(BROKER, Timed(), trusts, share=SHARE, batch_limit=500)  # type: ignore[arg-type]
    hub.start()
    hub.wait_connected(10)
    ready.set()
    before = resource.getrusage(resource.RUSAGE_SELF)
    stop.wait()
    time.sleep(1.0)
    after = resource.getrusage(resource.RUSAGE_SELF)
    hub.close()
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out.write_text(json.dumps({"stored": stored, "cpu_s": cpu_s}))


def _publish(
    lanes: list[LaneIdentity], rate: float, count: int, out: Path, start_at: float
) -> None:
    """One publisher process: ``count`` events from its lanes in turn, at ``rate`` per
    second (0: as fast as the broker takes them), each in its own signed, sealed message."""
    client = BROKER.client(f"portique-bench-{secrets.token_hex(4)}")
    client.max_inflight_messages_set(1000)
    BROKER.start(client)
    counter = MessageCounter(lambda: datetime.now(UTC))

    def message(number: int) -> tuple[str, bytes, tuple[str, str]]:
        lane = lanes[number % len(lanes)]
        event = PassageEvent(
            event_id=uuid.uuid4().hex,
            site_id=lane.site_id,
            lane_id=lane.lane_id,
            direction=Direction.IN,
            time=datetime.now(UTC),
            outcome=Outcome.GRANT,
            reasons=(Reason.CREDENTIAL_VALID,),
            alert=False,
            credential_id=None,
            person_id=None,
            latency_ms=1.0,
            snapshot_version=1,
        )
        topic = events_topic(lane.site_id, lane.lane_id)
        envelope = Envelope(
            MessageKind.EVENTS, lane.site_id, lane.lane_id, counter.next(), events_to_bytes([event])
        )
        payload = seal(lane.link_key, topic, sign(envelope, topic, lane.signing_key))
        return topic, payload, (event.event_id, lane.site_id)

    # At full speed, the messages are made beforehand: the hubs are measured, not the
    # publishers' signatures.
    ready = [message(number) for number in range(count)] if not rate else []
    while time.time() < start_at:
        time.sleep(0.005)
    sent: list[tuple[str, str]] = []
    began = time.time()
    infos: list[Any] = []
    for number in range(count):
        if rate:
            due = began + number / rate
            pause = due - time.time()
            if pause > 0:
                time.sleep(pause)
            topic, payload, ids = message(number)
        else:
            topic, payload, ids = ready[number]
        infos.append(client.publish(topic, payload, qos=1))
        sent.append(ids)
    for info in infos:
        info.wait_for_publish(timeout=60)
    published_s = time.time() - began
    client.disconnect()
    client.loop_stop()
    out.write_text(json.dumps({"sent": sent, "seconds": published_s}))


def _watch(
    port: int, sessions: list[tuple[str, str]], stop: EventFlag, out: Path, ready: Any
) -> None:
    """The consoles: one live stream per session; per passage, the seconds from its
    decision to the first stream that showed it. ``ready`` is set once every stream has
    had its first reading (the lockdown state)."""
    import httpx

    seen: dict[str, float] = {}
    opened: set[str] = set()

    async def follow(cookie: str) -> None:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", cookies={"portique_session": cookie}
        ) as client:
            last = ""
            while not stop.is_set():
                try:
                    # As a browser's EventSource does, the last passage got is named.
                    headers = {"Last-Event-ID": last} if last else {}
                    async with client.stream(
                        "GET", "/api/v1/passages/stream", timeout=None, headers=headers
                    ) as stream:
                        async for line in stream.aiter_lines():
                            if stop.is_set():
                                return
                            if line.startswith("id: "):
                                last = line[4:]
                            if line == "event: lockdown" and cookie not in opened:
                                opened.add(cookie)
                                if len(opened) == len(sessions):
                                    ready.set()
                            if line.startswith("data: {") and '"passage_id"' in line:
                                data = json.loads(line[6:])
                                if data["passage_id"] not in seen:
                                    decided = datetime.fromisoformat(data["time"]).timestamp()
                                    seen[data["passage_id"]] = time.time() - decided
                except httpx.HTTPError:
                    await asyncio.sleep(0.5)

    async def everyone() -> None:
        tasks = [asyncio.create_task(follow(cookie)) for _, cookie in sessions]
        while not stop.is_set():
            await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(everyone())
    out.write_text(json.dumps(seen))


def _wait_for_server(port: int, server: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server stopped"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.5)
    raise RuntimeError("the server did not start")


def _run_phase(
    identities: list[LaneIdentity], plan: Plan, rate: float, count: int, work: Path, tag: str
) -> tuple[list[tuple[str, str]], float]:
    """Publishes ``count`` events at ``rate`` (0: at once) from every lane; their
    (event id, site id), and how long the slowest publisher took."""
    context = multiprocessing.get_context("fork")
    start_at = time.time() + 1.0
    slices = [identities[index :: plan.publishers] for index in range(plan.publishers)]
    share = count // plan.publishers
    processes = []
    for index, lanes in enumerate(slices):
        process = context.Process(
            target=_publish,
            args=(lanes, rate / plan.publishers, share, work / f"{tag}-{index}.json", start_at),
        )
        process.start()
        processes.append(process)
    for process in processes:
        process.join()
    slices_range = range(plan.publishers)
    written = [json.loads((work / f"{tag}-{index}.json").read_text()) for index in slices_range]
    return [(event_id, site_id) for each in written for event_id, site_id in each["sent"]], max(
        each["seconds"] for each in written
    )


def _stored_count(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT count(*), count(DISTINCT passage_id) FROM passages")
        ).one()
    engine.dispose()
    return int(row[0]), int(row[1])


def run(plan: Plan) -> dict[str, Any]:
    from portique import clock

    work = Path(tempfile.mkdtemp(prefix="portique-bench-region-"))
    url, name = _database(work)
    context = multiprocessing.get_context("fork")
    server = None
    config = work / "mosquitto.conf"
    config.write_text(BROKER_CONFIG.format(port=BROKER_PORT))
    broker = subprocess.Popen(
        ["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        began = time.time()
        folders, sessions = _live_sites(work, url, plan)
        live_ids = [f"lycee-{number:03d}" for number in range(plan.live_sites)]
        site_ids = live_ids + [
            f"region-{number:03d}" for number in range(plan.sites - plan.live_sites)
        ]
        trusts, identities = [], []
        for site_id in site_ids:
            trust = SiteTrust(site_id, new_signing_key(), MemoryLaneDirectory())
            for lane_number in range(plan.lanes):
                lane_id = "entree" if lane_number == 0 else f"entree-{lane_number}"
                identity, record = new_lane_identity(
                    site_id, lane_id, trust.public_key, clock.now()
                )
                trust.lanes.put(record)  # type: ignore[attr-defined]
                identities.append(identity)
            trusts.append(trust)
        setup_s = time.time() - began

        port = 18000 + secrets.randbelow(1000)
        server = _serve(folders, url, port)
        _wait_for_server(port, server)
        stop = context.Event()
        hubs = []
        for index in range(2):
            ready = context.Event()
            hub = context.Process(
                target=_hub, args=(url, trusts, stop, work / f"hub-{index}.json", ready)
            )
            hub.start()
            ready.wait(30)
            hubs.append(hub)
        streams_open = context.Event()
        watcher = context.Process(
            target=_watch, args=(port, sessions, stop, work / "live.json", streams_open)
        )
        watcher.start()
        streams_open.wait(300)
        start_s = time.time() - began - setup_s

        peak_count = int(plan.peak_rate * plan.seconds)
        peak, _ = _run_phase(identities, plan, plan.peak_rate, peak_count, work, "peak")
        time.sleep(3.0)
        saturation, publish_s = _run_phase(identities, plan, 0.0, plan.saturate, work, "saturation")
        sites_of = dict(peak + saturation)
        peak_ids = [event_id for event_id, _ in peak]
        saturation_ids = [event_id for event_id, _ in saturation]
        published = peak_ids + saturation_ids
        deadline = time.time() + 120
        while time.time() < deadline and _stored_count(url)[0] < len(published):
            time.sleep(0.5)
        stop.set()
        for process in (*hubs, watcher):
            process.join(timeout=60)
        rows, distinct = _stored_count(url)

        stored: dict[str, tuple[float, float]] = {}
        deliveries = 0
        hub_cpu_s = 0.0
        per_hub = []
        for index in range(2):
            written = json.loads((work / f"hub-{index}.json").read_text())
            entries = written["stored"]
            hub_cpu_s += written["cpu_s"]
            per_hub.append(len(entries))
            deliveries += len(entries)
            for event_id, latency, at in entries:
                stored.setdefault(event_id, (latency, at))
        live = json.loads((work / "live.json").read_text())
        peak_set = set(peak_ids)
        to_store = [stored[e][0] for e in peak_ids if e in stored]
        to_live = [seconds for passage_id, seconds in live.items() if passage_id in peak_set]
        saturation_times = sorted(stored[e][1] for e in saturation_ids if e in stored)
        sustained = (
            (len(saturation_times) - 1) / (saturation_times[-1] - saturation_times[0])
            if len(saturation_times) > 1
            else 0.0
        )
        live_expected = sum(1 for e in peak_ids if sites_of[e] in live_ids)
        return {
            "plan": plan.__dict__,
            "mean_rate_per_s": round(plan.mean_rate, 1),
            "peak_rate_per_s": round(plan.peak_rate, 1),
            "setup_s": round(setup_s, 1),
            "start_s": round(start_s, 1),
            "published": len(published),
            "stored_rows": rows,
            "stored_distinct": distinct,
            "exactly_once": rows == distinct == len(published) and set(stored) == set(published),
            "hub_deliveries": per_hub,
            "duplicate_deliveries": deliveries - len(stored),
            "decision_to_stored_s": _quantiles(to_store),
            "decision_to_live_stream_s": _quantiles(to_live),
            "live_passages_seen": len(to_live),
            "live_passages_expected": live_expected,
            "saturation_publish_per_s": round(len(saturation_ids) / publish_s, 1),
            "sustained_ingest_per_s": round(sustained, 1),
            "hub_cpu_ms_per_event": round(1000 * hub_cpu_s / max(len(stored), 1), 3),
            "margin_over_peak": round(sustained / plan.peak_rate, 2),
        }
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        broker.terminate()
        broker.wait(timeout=30)
        _drop(name)


def _quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "p50": round(percentile(values, 0.50), 3),
        "p95": round(percentile(values, 0.95), 3),
        "p99": round(percentile(values, 0.99), 3),
        "max": round(max(values), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=180)
    parser.add_argument("--lanes", type=int, default=2, help="lanes per site")
    parser.add_argument("--pupils", type=int, default=150_000)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--peak", type=float, default=3.0, help="peak over mean rate")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the peak phase")
    parser.add_argument("--saturate", type=int, default=20_000)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--live-sites", type=int, default=20)
    parser.add_argument("--publishers", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    plan = Plan(
        sites=arguments.sites,
        lanes=arguments.lanes,
        pupils=arguments.pupils,
        minutes=arguments.minutes,
        peak=arguments.peak,
        seconds=arguments.seconds,
        saturate=arguments.saturate,
        sessions=arguments.sessions,
        live_sites=arguments.live_sites,
        publishers=arguments.publishers,
    )
    result = run(plan)
    print(json.dumps(result, indent=None if arguments.json else 2))


if __name__ == "__main__":
    main()

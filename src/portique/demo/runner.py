"""Running the demo: the console served, lanes linked in process, the morning replayed."""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from portique import clock
from portique.access import Outcome, Reason
from portique.demo.cast import ENTRY, EXIT, TIMEZONE
from portique.demo.morning import Scene, demo_day, invite_visitor, morning
from portique.demo.school import DemoError, DemoSchool
from portique.errors import BadInputError
from portique.i18n import text

if TYPE_CHECKING:
    from portique.biometrics import FaceEngine
    from portique.lane import InProcessHub, SimulatedLane
    from portique.services import SiteHandle

LANES_DIR = "lanes"
PACE_S = (1.2, 1.8, 1.5, 1.0, 2.0)
"""Seconds between two passages at speed 1 (a calm morning an agent can follow)."""
ROUND_PAUSE_S = 6.0


@dataclass(frozen=True)
class Played:
    """One passage of the replay, as the summary lists it."""

    round: int
    time: datetime
    lane: str
    who: str
    story: str
    outcome: Outcome
    reasons: tuple[Reason, ...]
    alert: bool
    expected: Outcome
    expected_reason: Reason
    latency_ms: float

    @property
    def as_expected(self) -> bool:
        return self.outcome is self.expected and self.expected_reason in self.reasons

    def as_json(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "time": self.time.isoformat(),
            "lane": self.lane,
            "who": self.who,
            "story": self.story,
            "outcome": self.outcome.value,
            "reasons": [reason.value for reason in self.reasons],
            "alert": self.alert,
            "expected": self.expected.value,
            "expected_reason": self.expected_reason.value,
            "as_expected": self.as_expected,
            "latency_ms": round(self.latency_ms, 1),
        }


@dataclass
class DemoSummary:
    """What a replay did: every passage, the console's answer, the events forwarded."""

    site_id: str
    directory: Path
    url: str
    faces: bool
    console_status: int | None = None
    played: list[Played] = field(default_factory=list)
    forwarded: bool = False

    def as_json(self) -> dict[str, Any]:
        outcomes = Counter(item.outcome.value for item in self.played)
        reasons = Counter(reason.value for item in self.played for reason in item.reasons)
        return {
            "site_id": self.site_id,
            "directory": str(self.directory),
            "url": self.url,
            "faces": self.faces,
            "console": {"url": f"{self.url}login", "status": self.console_status},
            "rounds": len({item.round for item in self.played}),
            "passages": len(self.played),
            "outcomes": {outcome.value: outcomes.get(outcome.value, 0) for outcome in Outcome},
            "reasons": dict(sorted(reasons.items())),
            "unexpected": sum(not item.as_expected for item in self.played),
            "forwarded": self.forwarded,
            "decisions": [item.as_json() for item in self.played],
        }


# Running it ----------------------------------------------------------------------------


class ConsoleServer:
    """The real server app under uvicorn, in a thread of this process."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        import uvicorn

        self.url = f"http://{host}:{port}/"
        self._server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                log_level="warning",
                lifespan="on",
                proxy_headers=False,
            )
        )
        self._thread = threading.Thread(
            target=self._server.run, name="portique-demo-server", daemon=True
        )

    def start(self, timeout: float = 30.0) -> None:
        """Starts serving; raises DemoError when the server does not come up."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise DemoError(
                    text(
                        f"Le serveur n'a pas démarré sur {self.url} (port occupé ?).",
                        f"The server did not start on {self.url} (port in use?).",
                    )
                )
            time.sleep(0.02)

    def status(self, path: str = "login") -> int | None:
        """The HTTP status the server answers for ``path`` (None: no answer)."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except OSError:
            return None

    def close(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def check_port(host: str, port: int) -> None:
    """Raises DemoError when ``host:port`` cannot be listened on."""
    with socket.socket() as probe:
        # As uvicorn does: a port left in TIME_WAIT by a previous run is free to use.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise DemoError(
                text(
                    f"Impossible d'écouter sur {host}:{port} ({exc.strerror}) : choisissez "
                    "un autre --port.",
                    f"Cannot listen on {host}:{port} ({exc.strerror}): choose another --port.",
                )
            ) from None


@dataclass(frozen=True)
class DemoOptions:
    """How to run the demo: ``speed`` divides the pauses between passages; ``once``
    replays the morning once and returns."""

    host: str = "127.0.0.1"
    port: int = 8000
    speed: float = 1.0
    once: bool = False
    lang: str = "fr"

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise BadInputError(text("--speed doit être > 0.", "--speed must be > 0."))


def run_demo(
    school: DemoSchool,
    options: DemoOptions,
    *,
    stop: threading.Event,
    signals: Sequence[Any] = (),
    ready: Callable[[str], None] = lambda _url: None,
    played: Callable[[Played], None] = lambda _item: None,
) -> DemoSummary:
    """Serves the console and replays the morning at the lanes until ``stop`` is set
    (or once, with ``options.once``); the summary of what the lanes decided.

    ``signals`` are lane signals (a console line per decision, for instance); ``ready``
    is called with the console URL once everything runs; ``played`` after each passage.
    """
    from portique.bootstrap import in_process_hub, open_site, serving_lanes
    from portique.lane.face import lane_face_engine_for
    from portique.server import ServerSettings, create_app

    check_port(options.host, options.port)
    first = clock.now().astimezone(ZoneInfo(TIMEZONE)).date()
    images = _faces_in_memory(school, first)
    # Lanes compare with the model of the site's templates (EdgeFace where installed).
    engine = lane_face_engine_for(school.face_model()) if images else None

    summary = DemoSummary(
        school.site_id, school.directory, f"http://{options.host}:{options.port}/", school.faces
    )
    with contextlib.ExitStack() as stack:
        site = open_site(school.site_dir)
        stack.callback(site.close)
        # The first round's visitor is invited before the server and lanes write too.
        first_visitor = invite_visitor(site, school, demo_day(first))
        server = ConsoleServer(
            create_app(school.site_dir, settings=ServerSettings(plain_http=True)),
            options.host,
            options.port,
        )
        server.start()
        stack.callback(server.close)
        summary.console_status = server.status("login")

        served = stack.enter_context(serving_lanes(site, in_process_hub, interval_s=1.0))
        lanes = {
            lane_id: stack.enter_context(
                _lane(site, school, lane_id, served.hub, engine, signals, options.lang)
            )
            for lane_id in (ENTRY, EXIT)
        }
        ready(server.url)

        pauses = itertools.cycle(PACE_S)
        for round_ in itertools.count():
            day = demo_day(first, round_)
            visitor = first_visitor if round_ == 0 else invite_visitor(site, school, day)
            served.publisher.refresh()
            for scene in morning(school, day, visitor):
                if stop.is_set():
                    break
                item = _play(lanes[scene.lane], scene, round_, day, images)
                if item is not None:
                    summary.played.append(item)
                    played(item)
                stop.wait(next(pauses) / options.speed)
            if options.once or stop.is_set():
                break
            stop.wait(ROUND_PAUSE_S / options.speed)
        summary.forwarded = all(lane.lane.wait_forwarded(10) for lane in lanes.values())
    return summary


def _faces_in_memory(school: DemoSchool, first: date) -> dict[str, Any]:
    """The photos the lanes' cameras will see, by name; they stay in memory for the
    replay and are never copied anywhere."""
    from portique.biometrics import load_image

    images: dict[str, Any] = {}
    if school.faces and school.faces_dir is not None:
        for scene in morning(school, demo_day(first)):
            if scene.face is not None and scene.face not in images:
                images[scene.face] = load_image(school.faces_dir / scene.face)
    return images


@contextlib.contextmanager
def _lane(
    site: SiteHandle,
    school: DemoSchool,
    lane_id: str,
    hub: InProcessHub,
    engine: FaceEngine | None,
    signals: Sequence[Any],
    lang: str,
) -> Iterator[SimulatedLane]:
    """One simulated lane of the school, linked in process and started."""
    from portique.lane import LaneConfig, SimulatedLane
    from portique.services.vault import vault_lookup

    lane = SimulatedLane(
        LaneConfig(school.site_id, lane_id, school.directory / LANES_DIR / lane_id, lang),
        transport=hub.connect(school.site_id, lane_id),
        face_engine=engine,
        signals=signals,
        # In process, the lanes reach the central template store, if the site uses it.
        vault=vault_lookup(site.database, site.site_id),
    )
    try:
        lane.start()
        yield lane
    finally:
        lane.close()


def _play(
    lane: SimulatedLane, scene: Scene, round_: int, day: date, images: dict[str, Any]
) -> Played | None:
    """Plays ``scene`` at its lane; what the lane decided (None: nothing was read)."""
    from portique.credentials import payload_from_text
    from portique.lane import PresentBadge, ShowCode

    at = datetime.combine(day, clock_time(scene.hour, scene.minute), tzinfo=ZoneInfo(TIMEZONE))
    step: PresentBadge | ShowCode
    if scene.badge:
        step = PresentBadge(scene.credential, at=at)
    else:
        face = images.get(scene.face) if scene.face is not None else None
        step = ShowCode(payload_from_text(scene.credential), face, at=at)
    result = lane.play(step)
    if result is None:
        return None
    decision = result.decision
    return Played(
        round_,
        at,
        scene.lane,
        scene.who,
        scene.story,
        decision.outcome,
        decision.reasons,
        decision.alert,
        scene.expect,
        scene.reason,
        result.latency_ms,
    )

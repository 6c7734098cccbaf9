"""Face without a pause: credential read to decision at a lane whose camera watched the
person walk up, with and without face, side by side in the same run.

A site is made in a temporary folder through the services (face comparison on): people
who opted in (LFW people with at least 4 photos) get a card carrying their face (photos
1 and 3); 10 others get a plain card. A real ``Lane`` runs its own loop (``step``: a
reader line if one came, else one camera frame, QR decoding included) on a simulated
camera that plays each person's approach in real time (``ApproachCamera``, paced at
``--fps``): an LFW photo of them (photo 2, then 4, 5...) growing in the frame over 1 to
2 s, motion-blurred, the head turning to the reader (``Approach.drawn``). As they reach
the reader, a QR scanner types their card's text (``PQ:...``) and the lane decides. The
latency is the lane's own: from the line in hand to the decision, face search in the
ring, frames waited for after the read, comparison and decision included. Passages
alternate: one person who opted in, one who did not (the baseline, whose frames are
never analysed). After each face passage, the face engine alone verifies the last frame
before the read against the card's template, timed in the same run: what the machine
gives the face pipeline at that moment (it is shared). Anti-passback is off in the
lane's snapshot so people can pass again.

    .venv/bin/python benchmarks/bench_face_approach.py [--passages 100] [--people 50]
        [--lfw ../shared/datasets/lfw] [--fps 30] [--unpaced] [--json] [--out FILE]

``--out FILE`` writes the summary and every face passage's latency (seconds), which
``portique simulate --face-step FILE`` resamples.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from bench_support import percentile, summary

from portique import clock
from portique.access import Role
from portique.biometrics import BiometricInputError, FaceEngine, create_backend, load_image
from portique.biometrics.types import RGBImage
from portique.bootstrap import init_site
from portique.bootstrap import open_site as open_site_folder
from portique.credentials import payload_from_text, verify_credential
from portique.lane import (
    Lane,
    LaneConfig,
    LaneSnapshot,
    PassageResult,
    SimulatedBadgeReader,
    lane_face_engine,
)
from portique.lane.drivers.approach import Approach, ApproachCamera, approach_frames
from portique.lane.face import CaptureSource, credential_template
from portique.services import NewPerson, add_person, grant_consent, issue_credential
from portique.services.lanes import site_snapshot

PARIS = ZoneInfo("Europe/Paris")
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LFW = ROOT.parent / "shared" / "datasets" / "lfw"
SITE = "bench-approach"
WARMUP = 3


def _photo(lfw: Path, name: str, number: int) -> Path:
    return lfw / "images" / name / f"{name}_{number:04d}.jpg"


def _walkers(lfw: Path) -> Iterator[tuple[str, int]]:
    """LFW people with at least 4 photos, in name order: (name, number of photos)."""
    for folder in sorted((lfw / "images").iterdir()):
        photos = len(list(folder.glob("*.jpg")))
        if photos >= 4:
            yield folder.name, photos


class ScannerAtTheReader:
    """The lane's camera, and a QR scanner that types a card's text as its holder
    reaches the reader (once the camera has given the approach's last frame)."""

    def __init__(self, camera: ApproachCamera, reader: SimulatedBadgeReader) -> None:
        self.camera = camera
        self.reader = reader
        self._line: str | None = None
        self._left = 0

    def walk_up(self, frames: list[RGBImage], read_index: int, line: str) -> None:
        self.camera.play(frames)
        self._line = line
        self._left = read_index

    def read(self) -> RGBImage | None:
        frame = self.camera.read()
        if frame is not None and self._line is not None:
            self._left -= 1
            if self._left == 0:
                self.reader.present(self._line)
                self._line = None
        return frame

    def close(self) -> None:
        self.camera.close()


def _make_site(directory: Path, lfw: Path, count: int, backend: str) -> tuple[Any, Any]:
    """The site, ``count`` people who opted in (card text, name, their other photos),
    and 10 plain cards. People whose enrolment photos hold no usable face are skipped,
    as the office would ask them for another photo."""
    init_site(directory, site_id=SITE, face=True)
    site = open_site_folder(directory)
    now = clock.now()
    today = now.astimezone(PARIS).date()
    enrollment = FaceEngine(create_backend(backend))
    keyring = site.keyring()
    enrolled, plain = [], []
    with site.session() as session:
        for index, (name, photos) in enumerate(_walkers(lfw)):
            if len(enrolled) == count:
                break
            print(f"\renrolling {len(enrolled) + 1}/{count}", end="", file=sys.stderr)
            person = add_person(
                session,
                SITE,
                NewPerson(f"Face{index}", "Agent", date(1980, 1, 1), Role.STAFF, (), ()),
                now=now,
            )
            grant_consent(session, SITE, person, by=None, now=now)
            try:
                card = issue_credential(
                    session,
                    SITE,
                    keyring,
                    person,
                    now=now,
                    faces=(_photo(lfw, name, 1), _photo(lfw, name, 3)),
                    face_engine=lambda: enrollment,
                    valid_from=today,
                    valid_until=today + timedelta(days=30),
                )
            except BiometricInputError:
                continue
            walking = [n for n in range(2, photos + 1) if n != 3]
            enrolled.append((card.payload_text, name, walking))
        for index in range(10):
            person = add_person(
                session,
                SITE,
                NewPerson(f"Plain{index}", "Agent", date(1980, 1, 1), Role.STAFF, (), ()),
                now=now,
            )
            card = issue_credential(session, SITE, keyring, person, now=now)
            plain.append(card.payload_text)
    print(file=sys.stderr)
    return site, (enrolled, plain)


def _school_moment() -> datetime:
    day = clock.now().astimezone(PARIS).date() + timedelta(days=1)
    while day.weekday() != 1:  # a Tuesday
        day += timedelta(days=1)
    return datetime.combine(day, datetime.min.time(), tzinfo=PARIS) + timedelta(hours=10)


def _engine_alone(
    lane: Lane, snapshot: LaneSnapshot, text: str, frames: list[RGBImage], approach: Approach
) -> float:
    """The face engine alone on the last frame before the read (locate, quality, embed,
    compare), in the same run: what the machine gives the face pipeline right now."""
    assert lane.capture is not None
    claims = verify_credential(payload_from_text(text), snapshot.policy.verifiers, SITE)
    template = credential_template(claims, snapshot.template_keys, snapshot.face_model)
    assert template is not None
    started = time.perf_counter()
    with contextlib.suppress(BiometricInputError):  # timed all the same
        lane.capture.engine.verify(frames[approach.read_index - 1], template)
    return (time.perf_counter() - started) * 1000.0


def _pass(lane: Lane, scanner: ScannerAtTheReader, timeout_s: float = 10.0) -> PassageResult:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = lane.step()
        if result is not None:
            return result
    raise RuntimeError("the lane decided nothing for this approach")


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        site, (enrolled, plain) = _make_site(
            Path(folder) / "site", args.lfw, args.people, args.backend
        )
        snapshot = site_snapshot(site)
        site.close()
        policy = snapshot.policy
        snapshot = LaneSnapshot(
            replace(policy, settings=replace(policy.settings, anti_passback_window=None)),
            snapshot.template_keys,
            snapshot.face_model,
        )
        reader = SimulatedBadgeReader()
        scanner = ScannerAtTheReader(ApproachCamera(fps=args.fps, paced=not args.unpaced), reader)
        at = _school_moment()
        lane = Lane(
            LaneConfig(SITE, "entree", Path(folder) / "lane"),
            camera=scanner,
            badge_reader=reader,
            face_engine=lane_face_engine(args.backend),
            clock=lambda: at,
        )
        lane.apply_snapshot(snapshot)
        results: dict[str, list[PassageResult]] = {"face": [], "plain": []}
        engine_ms: list[float] = []
        load_before = os.getloadavg()[0]
        for index in range(args.passages + WARMUP):
            print(f"\rpassage {index + 1}/{args.passages + WARMUP}", end="", file=sys.stderr)
            text, name, walking = enrolled[index % len(enrolled)]
            own = walking[(index // len(enrolled)) % len(walking)]
            steps = {
                "face": (text, load_image(_photo(args.lfw, name, own))),
                "plain": (
                    plain[index % len(plain)],
                    load_image(_photo(args.lfw, enrolled[(index + 1) % len(enrolled)][1], 2)),
                ),
            }
            for kind, (line, photo) in steps.items():
                approach = Approach.drawn(rng, fps=args.fps)
                frames = approach_frames(photo, approach, seed=int(rng.integers(1 << 30)))
                lane.forget_reads()
                scanner.walk_up(frames, approach.read_index, line)
                result = _pass(lane, scanner)
                if index >= WARMUP:
                    results[kind].append(result)
                    if kind == "face":
                        engine_ms.append(_engine_alone(lane, snapshot, text, frames, approach))
        print(file=sys.stderr)
        load_after = os.getloadavg()[0]
        lane.close()
    face, base = results["face"], results["plain"]
    sources = Counter(str(r.face_source) for r in face)
    outcomes = Counter(
        f"{r.decision.outcome.value}: {', '.join(x.value for x in r.decision.reasons)}"
        for r in face
    )
    face_ms = [r.latency_ms for r in face]
    base_ms = [r.latency_ms for r in base]
    return {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "load_average": [round(load_before, 2), round(load_after, 2)],
        "backend": args.backend,
        "paced": not args.unpaced,
        "fps": args.fps,
        "people": args.people,
        "passages_per_kind": args.passages,
        "read_to_decision_with_face_ms": summary(face_ms),
        "read_to_decision_without_face_ms": summary(base_ms),
        "engine_alone_on_the_last_frame_ms": summary(engine_ms),
        "p95_ratio_with_to_without": round(
            percentile(face_ms, 0.95) / max(percentile(base_ms, 0.95), 1e-9), 1
        ),
        "capture_in_buffer": round(sources[str(CaptureSource.BUFFER)] / len(face), 4),
        "capture_after_read": round(sources[str(CaptureSource.CAMERA)] / len(face), 4),
        "no_usable_face": round(sources[str(CaptureSource.NONE)] / len(face), 4),
        "frames_examined_mean": round(statistics.mean(r.face_frames for r in face), 2),
        "frames_examined_max": max(r.face_frames for r in face),
        "frames_examined_without_face": sum(r.face_frames for r in base),
        "outcomes_with_face": dict(outcomes.most_common()),
        "granted_with_face": round(sum(r.decision.granted for r in face) / len(face), 4),
        "face_step_s": [round(ms / 1000.0, 6) for ms in face_ms],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=100)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--lfw", type=Path, default=DEFAULT_LFW)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--backend",
        default="dlib",
        help="face back end of enrolment and lane (edgeface: `portique models install` first)",
    )
    parser.add_argument("--unpaced", action="store_true", help="frames as fast as read")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if not (args.lfw / "images").is_dir():
        sys.exit(f"No LFW images under {args.lfw}: give --lfw.")
    summary = run(args)
    if args.out is not None:
        args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    shown = {key: value for key, value in summary.items() if key != "face_step_s"}
    if args.json:
        print(json.dumps(shown))
        return
    for key, value in shown.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()

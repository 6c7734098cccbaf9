"""The demo: a school built through the services, the real server, and simulated lanes
replaying a morning arrival, all in one process (the embedded default).

``prepare_demo`` builds the demo school in a folder (or reuses it): a site with face
comparison offered at the entrance, three classes (one starting late), forty people
imported from a generated French CSV, parents recorded as guardians, consents, cards
and badges, revoked and expired cards, a visitor with a short-validity card, and two
console accounts. With an LFW-style faces folder, those who opted in are enrolled from
one photo each (read in memory, never copied); otherwise nobody is enrolled and every
passage takes the credential + agent path. Each day of the replay, a visitor is also
invited: her pass lets her in and out, and her path shows on the console's visitor pages.

``run_demo`` starts the console (uvicorn in a thread), links an entrance lane and an
exit lane in process to the site's store, and replays the morning through the real lane
runtime: QR codes decoded from composed camera frames, faces compared 1:1, decisions on
the lane's own snapshot, events stored by the server.

The rooms: ``cast`` (who the school's people are), ``school`` (building it through the
services, and finding it again on disk), ``morning`` (the scripted arrival) and
``runner`` (the console, the lanes and the replay).

The folder holds ``site/`` (the site: database and keys), ``lanes/`` (each lane's
snapshot and outbox), ``cards/`` (printable cards, QR PNGs), ``people.csv`` (the
generated export) and ``demo.json`` (owner-only: the cast, its credentials and the
console passwords, so a second run reuses everything).
"""

from __future__ import annotations

from portique.demo.cast import CAST, Member, roster_csv
from portique.demo.morning import Scene, demo_day, invite_visitor, morning
from portique.demo.runner import (
    ConsoleServer,
    DemoOptions,
    DemoSummary,
    Played,
    check_port,
    run_demo,
)
from portique.demo.school import (
    DemoError,
    DemoSchool,
    Holder,
    default_demo_dir,
    prepare_demo,
)

__all__ = [
    "CAST",
    "ConsoleServer",
    "DemoError",
    "DemoOptions",
    "DemoSchool",
    "DemoSummary",
    "Holder",
    "Member",
    "Played",
    "Scene",
    "check_port",
    "default_demo_dir",
    "demo_day",
    "invite_visitor",
    "morning",
    "prepare_demo",
    "roster_csv",
    "run_demo",
]

"""The composition root: a site opened with everything plugged in, and its lanes' hub.

The layers below never call up: the store knows nothing of the audit log, passage
recording nothing of visitors. This module is where they meet, once, for every way in
(the command line, the server, the demo, the hub, the tests' fixtures)::

    from portique import bootstrap
    with bootstrap.open_site(Path("site")) as site:      # audited, checkpoints recorded
        ...
    with bootstrap.serving_lanes(site, bootstrap.in_process_hub) as served:
        transport = served.hub.connect(site.site_id, "entree")

What is plugged in:

- the audit log (:func:`portique.privacy.audit.record_changes`) hears every flush of the
  site's database, so every administrative change is recorded whoever makes it, and its
  keys (:func:`portique.privacy.audit.open_keyed_log`) authenticate every entry;
- the passage handlers hear every passage stored: the visitors' checkpoints
  (:func:`portique.visitors.record_checkpoints`) follow a pass through the site;
- the hub: the site's store as its event and lane-status sink, and a publisher of the
  site's snapshot whenever it changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar, Unpack

from portique.privacy.audit import open_keyed_log, record_changes
from portique.services.lanes import SitePublisher, StoreSink
from portique.services.live import announce_passages
from portique.services.site import NewSite, SiteCreated, SiteHandle, SiteWiring
from portique.services.site import init_site as _init_site
from portique.services.site import open_site as _open_site
from portique.visitors.path import record_checkpoints

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from portique.lane.comms import Hub, InProcessHub, MqttBroker, MqttHub

H = TypeVar("H", bound="Hub")

WIRING = SiteWiring(
    flush_listeners=(record_changes,),
    audit_log=open_keyed_log,
    passage_handlers=(record_checkpoints, announce_passages),
)
"""What every site is opened with: the audit log (its changes recorded, its entries keyed)
the visitors' checkpoints, and the live streams told of each passage stored."""


def open_site(
    directory: Path,
    *,
    database_url: str | None = None,
    upgrade: bool = False,
    engine: Engine | None = None,
) -> SiteHandle:
    """The site set up in ``directory``, its changes audited and its passages handled;
    ``upgrade`` brings a database of an earlier version to this one's schema first;
    ``engine``, another site's on the same database, shares its connections.

    Raises:
        SiteNotFoundError, SchemaError, StoreUnavailableError: it cannot be opened.
    """
    return _open_site(
        directory, wiring=WIRING, database_url=database_url, upgrade=upgrade, engine=engine
    )


def init_site(directory: Path, **choices: Unpack[NewSite]) -> SiteCreated:
    """Creates a site (see :func:`portique.services.site.init_site` for ``choices``), its
    first rows audited like every change after them."""
    return _init_site(directory, wiring=WIRING, **choices)


@dataclass(frozen=True)
class ServedLanes(Generic[H]):
    """The server's end of the lanes' link of one site: the hub and the publisher that
    hands it the site's snapshots (``publisher.refresh()`` after a change publishes at
    once instead of at the next check)."""

    hub: H
    publisher: SitePublisher


@contextmanager
def serving_lanes(
    site: SiteHandle, hub: Callable[[StoreSink], H], *, interval_s: float = 2.0
) -> Iterator[ServedLanes[H]]:
    """Serves the lanes of ``site`` until the block ends: ``hub`` is made with the site's
    store as its sink (events and heartbeats), started, and given the site's snapshot
    now and whenever its version changes (checked every ``interval_s`` seconds)."""
    made = hub(StoreSink(site.session, site.passages))
    publisher = SitePublisher(site, made.publish_snapshot, interval_s=interval_s)
    made.start()
    try:
        publisher.refresh()
        publisher.start()
        try:
            yield ServedLanes(made, publisher)
        finally:
            publisher.close()
    finally:
        made.close()


def in_process_hub(sink: StoreSink) -> InProcessHub:
    """The hub of lanes in this process (the embedded default)."""
    from portique.lane.comms import InProcessHub

    return InProcessHub(sink, lane_status=sink)


def mqtt_hub(
    site: SiteHandle,
    broker: MqttBroker,
    *,
    snapshot_validity: timedelta = timedelta(hours=24),
    share: str | None = None,
) -> Callable[[StoreSink], MqttHub]:
    """The hub of the site's lanes over MQTT, behind ``broker``: it signs their snapshots
    with the site's snapshot key and knows its lane devices by the site's registry;
    ``share`` names the group of hubs sharing the lanes (MQTT 5 shared subscription)."""

    def make(sink: StoreSink) -> MqttHub:
        from portique.lane.comms import MqttHub
        from portique.services.lane_devices import site_trust

        return MqttHub(
            broker,
            sink,
            [site_trust(site)],
            lane_status=sink,
            snapshot_validity=snapshot_validity,
            share=share,
        )

    return make

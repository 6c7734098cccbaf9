"""The school's registers: SIECLE pupils and guardians, STS-Web staff and divisions, class
timetables, leavers revoked at once, and the school year (closing it, opening the next).

::

    from portique.registers import read_register, sync_register
    files = read_register(eleves_bytes, responsables_bytes)
    with site.session() as session:
        report = sync_register(session, site.site_id, site.keys_dir, files, now=now)

A service layer over the store, like ``portique.services``: each function works in the
caller's transaction and returns frozen records. See docs/registers.md.
"""

from __future__ import annotations

from portique.registers.departures import (
    LEFT_SCHOOL,
    Departure,
    DepartureCause,
    acknowledge_departures,
    recent_departures,
    sweep_leavers,
)
from portique.registers.errors import (
    MissingUaiError,
    RegisterEncodingError,
    RegisterFormatError,
    WrongEstablishmentError,
)
from portique.registers.identifiers import set_site_uai, site_uai
from portique.registers.plan import Change, PupilPlan, SyncOutcome
from portique.registers.siecle import LineError, read_guardians, read_pupils
from portique.registers.sync import (
    MassDepartureError,
    RegisterFiles,
    SyncReport,
    read_register,
    sync_register,
)

__all__ = [
    "LEFT_SCHOOL",
    "Change",
    "Departure",
    "DepartureCause",
    "LineError",
    "MassDepartureError",
    "MissingUaiError",
    "PupilPlan",
    "RegisterEncodingError",
    "RegisterFiles",
    "RegisterFormatError",
    "SyncOutcome",
    "SyncReport",
    "WrongEstablishmentError",
    "acknowledge_departures",
    "read_guardians",
    "read_pupils",
    "read_register",
    "recent_departures",
    "set_site_uai",
    "site_uai",
    "sweep_leavers",
    "sync_register",
]

"""The server keeps the history of lanes going offline and back, for the report."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portique.evaluation.field import field_outcomes, load_field
from portique.services.lanes import StoreSink
from portique.store.models import LaneStatusChangeRow
from school_support import School


def test_a_change_is_recorded_when_a_lane_is_first_heard_and_when_its_flag_flips(
    school: School,
) -> None:
    sink = StoreSink(school.site.session, school.site.passages)
    t0 = school.at(7, 0)
    beats = [(0, True), (15, True), (30, True), (45, False), (300, True), (315, True)]
    for seconds, online in beats:
        sink.lane_seen(school.site_id, "entree", t0 + timedelta(seconds=seconds), online=online)
    with school.site.session() as session:
        changes = [
            (row.lane_id, row.at, row.online)
            for row in session.scalars(
                select(LaneStatusChangeRow)
                .where(LaneStatusChangeRow.site_id == school.site_id)
                .order_by(LaneStatusChangeRow.at)
            )
        ]
        data = load_field(session, school.site_id)
    assert changes == [
        ("entree", t0, True),
        ("entree", t0 + timedelta(seconds=45), False),
        ("entree", t0 + timedelta(seconds=300), True),
    ]
    offline = field_outcomes(data).offline
    assert [(p.lane_id, p.seconds(t0)) for p in offline] == [("entree", 255.0)]

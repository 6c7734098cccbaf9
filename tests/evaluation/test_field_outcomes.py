"""Field outcomes from a school's stored records, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from field_support import fill_morning
from typer.testing import CliRunner

from portique.cli import app
from portique.evaluation.field import (
    AGE_BANDS,
    Period,
    age_band,
    field_outcomes,
    fitted_modes,
    load_field,
)
from school_support import School


def test_outcomes_of_a_morning_as_stored(school: School) -> None:
    fill_morning(school)
    with school.site.session() as session:
        data = load_field(session, school.site_id)
    outcomes = field_outcomes(data, seed=1)

    assert outcomes.passages == 57
    assert outcomes.outcomes == {"deny": 4, "grant": 49, "refer": 4}
    assert outcomes.referral_rate == pytest.approx(4 / 57)
    assert outcomes.refused_by_reason == {"revoked": 2, "expired": 1, "unknown_credential": 1}
    assert (outcomes.intrusions_stopped, outcomes.intrusions_granted) == (3, 0)
    assert outcomes.intrusions_alerted == outcomes.intrusions_presented == 3

    # Latency: 43 face decisions (20-59 ms and three at 25), 14 without face.
    assert outcomes.latency_face is not None and outcomes.latency_face.count == 43
    assert outcomes.latency_face.maximum == 59.0
    assert outcomes.latency_no_face is not None and outcomes.latency_no_face.count == 14
    assert outcomes.latency_no_face.p50 == pytest.approx(0.5)

    entrance = {t.lane_id: t for t in outcomes.throughput}["entree"]
    assert entrance.peak_per_minute == 5
    assert entrance.peak_minute == school.at(7, 50)

    assert outcomes.overrides == {"deny": 1, "grant": 1}
    assert outcomes.override_comments == {"photo ancienne": 1, "carte prêtée": 1}
    assert outcomes.acknowledged == 1
    assert outcomes.mismatches_granted_by_agent == 1
    assert outcomes.impostors_confirmed == 1

    # The impostor attempt the agent refused is not a genuine rejection: 42 genuine
    # attempts, 39 by students, of which 1 mismatch and 2 poor captures were rejected.
    students = {g.group: g for g in outcomes.face_by_role}["student"]
    assert (students.attempts, students.people) == (39, 6)
    assert students.frr is not None and students.frr.value == pytest.approx(3 / 39)
    assert students.fta is not None and students.fta.value == pytest.approx(2 / 39)
    assert students.frr.low <= 3 / 39 <= students.frr.high
    staff = {g.group: g for g in outcomes.face_by_role}["staff"]
    assert staff.attempts == 3 and not staff.enough  # "not enough data"
    bands = {g.group: g for g in outcomes.face_by_age}
    assert bands["15-17 ans"].attempts == 39 and bands["15-17 ans"].enough
    assert bands["18 ans et plus"].attempts == 3 and not bands["18 ans et plus"].enough

    periods = [(p.lane_id, p.start, p.end) for p in outcomes.offline]
    assert periods == [
        ("entree", school.at(9, 0), school.at(9, 10)),
        ("sortie", school.at(11, 0), None),
    ]
    assert outcomes.lane_seconds == 2 * 4 * 3600  # both lanes heard from 07:00 to 11:00
    assert outcomes.offline_seconds == 600


def test_a_period_keeps_only_its_days(school: School) -> None:
    fill_morning(school)
    next_day = school.day + timedelta(days=1)
    with school.site.session() as session:
        same_day = load_field(session, school.site_id, Period(school.day, school.day))
        later = load_field(session, school.site_id, Period(next_day, None))
    assert len(same_day.passages) == 57
    assert later.passages == ()
    assert field_outcomes(later).face_overall is None


def test_the_simulator_is_fitted_from_the_site(school: School) -> None:
    fill_morning(school)
    with school.site.session() as session:
        modes, source = fitted_modes(load_field(session, school.site_id))
    face = modes["badge_face"]
    assert face.referral_probability == pytest.approx(4 / 43)
    assert face.extra_share == pytest.approx(43 / 53)  # face attempts among non-refused
    assert "43" in source


def test_simulate_from_site_uses_the_site_measurements(
    school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_morning(school)
    monkeypatch.setenv(
        "PORTIQUE_DATABASE_URL", school.site.database.url.render_as_string(hide_password=False)
    )
    result = CliRunner().invoke(
        app,
        ["simulate", "--from-site", str(school.site.directory), "--students", "200",
         "--modes", "badge_face", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert school.site_id in summary["service_source"]
    assert summary["modes"]["badge_face"]["referral_probability"] == round(4 / 43, 4)


def test_age_bands_follow_birthdays() -> None:
    from datetime import date

    assert age_band(date(2011, 6, 2), date(2026, 6, 1)) == AGE_BANDS[0][0]  # 14
    assert age_band(date(2011, 6, 1), date(2026, 6, 1)) == "15-17 ans"
    assert age_band(date(2008, 6, 1), date(2026, 6, 1)) == "18 ans et plus"
    assert age_band(None, date(2026, 6, 1)) == "inconnu"

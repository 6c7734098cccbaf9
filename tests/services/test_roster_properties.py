"""Reading people files never fails in any way but a format error, whatever the bytes."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from portique.services import RosterFormatError, read_roster

TODAY = date(2026, 11, 23)
HEADER = "Nom;Prénom;Né(e) le;Classe\n"
names = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Cf", "Co", "Cn", "Zl", "Zp"),
        blacklist_characters=';"\u2028\u2029\x85',
    ),
    min_size=1,
    max_size=30,
).filter(lambda name: name.strip() != "")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_give_a_roster_or_a_format_error(data: bytes) -> None:
    try:
        roster = read_roster(data, today=TODAY)
    except RosterFormatError:
        return
    assert all(row.line > 1 for row in roster.rows)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_any_text_under_a_valid_header_gives_rows_or_rejected_lines(body: str) -> None:
    roster = read_roster((HEADER + body).encode("utf-8"), today=TODAY)
    lines = [row.line for row in roster.rows] + [row.line for row in roster.rejected]
    assert len(lines) == len(set(lines))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(names, names, st.dates(date(1950, 1, 1), TODAY)), min_size=1, max_size=10),
    st.sampled_from(["utf-8", "utf-8-sig"]),
)
def test_well_formed_rows_come_back_as_written(
    people: list[tuple[str, str, date]], encoding: str
) -> None:
    body = "".join(f"{last};{first};{born:%d/%m/%Y};2NDE A\n" for last, first, born in people)
    roster = read_roster((HEADER + body).encode(encoding), today=TODAY)
    assert roster.rejected == ()
    assert [(r.last_name, r.first_name, r.birth_date) for r in roster.rows] == [
        (" ".join(last.split()), " ".join(first.split()), born) for last, first, born in people
    ]

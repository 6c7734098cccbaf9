"""Badge UIDs typed by keyboard-wedge readers all reach one canonical form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portique.credentials import InvalidBadgeUidError, normalize_badge_uid
from portique.errors import BadInputError


def _canonical(uid: bytes) -> str:
    return ":".join(f"{byte:02X}" for byte in uid)


@pytest.mark.parametrize(
    "raw",
    [
        "04A2B3C4",
        "04a2b3c4",
        "0x04a2b3c4",
        "04:A2:B3:C4",
        "04-a2-b3-c4",
        "04 A2 B3 C4",
        "4:a2:b3:c4",
        "  04A2B3C4\r\n",
        "0077771716",  # the "10D" decimal output of many readers
        "à'QéB\"C'",  # hex typed by a reader on a French AZERTY keyboard
        "à'qéb\"c'",
        "ààèèèè&è&-",  # the decimal form, typed on AZERTY
    ],
)
def test_common_forms_of_one_uid_are_the_same_badge(raw):
    assert normalize_badge_uid(raw) == "04:A2:B3:C4"


def test_seven_byte_uid_keeps_its_bytes_in_order():
    assert normalize_badge_uid("045a6b7c8d9e80") == "04:5A:6B:7C:8D:9E:80"


def test_ten_digit_hex_uid_is_given_with_0x_or_separators():
    assert normalize_badge_uid("0x0012345678") == "00:12:34:56:78"
    assert normalize_badge_uid("00-12-34-56-78") == "00:12:34:56:78"
    assert normalize_badge_uid("0012345678") == "00:BC:61:4E"  # read as decimal


def test_ten_digits_beyond_32_bits_are_read_as_hex():
    assert normalize_badge_uid("9912345678") == "99:12:34:56:78"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "04A2B3",  # 3 bytes: too short
        "04A2B3C4D5E6F708192A3B",  # 11 bytes: too long
        "04A2B3C",  # odd number of hex digits
        "04A2B3G4",
        "04:A2B:B3:C4",
        ":04:A2:B3:C4",
        "٠١٢٣٤٥٦٧٨٩",  # non-ASCII digits
        "Jeanne Dupont",
    ],
)
def test_invalid_uid_is_refused(raw):
    with pytest.raises(InvalidBadgeUidError):
        normalize_badge_uid(raw)


def test_invalid_uid_is_a_bad_input_error_with_a_clear_message():
    with pytest.raises(BadInputError, match="odd number of hex digits"):
        normalize_badge_uid("ABCDEFABC")


def test_non_text_uid_is_refused():
    with pytest.raises(InvalidBadgeUidError):
        normalize_badge_uid(1234)  # type: ignore[arg-type]


uids = st.binary(min_size=4, max_size=10)


@given(uid=uids, separator=st.sampled_from([":", "-", " "]), lower=st.booleans())
def test_any_uid_with_separators_normalises_to_its_bytes(uid, separator, lower):
    typed = separator.join(f"{byte:02x}" if lower else f"{byte:02X}" for byte in uid)
    assert normalize_badge_uid(typed) == _canonical(uid)


@given(uid=uids)
def test_any_uid_in_0x_hex_normalises_to_its_bytes(uid):
    assert normalize_badge_uid("0x" + uid.hex()) == _canonical(uid)


@given(value=st.integers(0, 2**32 - 1))
def test_any_ten_digit_decimal_uid_is_its_32_bit_value(value):
    assert normalize_badge_uid(f"{value:010d}") == _canonical(value.to_bytes(4, "big"))


@given(uid=uids)
def test_canonical_form_normalises_to_itself(uid):
    canonical = normalize_badge_uid(uid.hex())
    assert normalize_badge_uid(canonical) == canonical


@given(raw=st.text(max_size=40))
def test_arbitrary_text_gives_a_uid_or_an_invalid_uid_error(raw):
    try:
        canonical = normalize_badge_uid(raw)
    except InvalidBadgeUidError:
        return
    assert normalize_badge_uid(canonical) == canonical

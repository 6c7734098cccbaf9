"""Phone passes: the holder key in the payload (format version 3), the living code, its
checks, its size in a QR code, and the replay memory."""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from credential_samples import CREDENTIAL_ID, PERSON_ID, SITE_ID, VALID_FROM, VALID_UNTIL
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from portique.credentials import (
    CODE_WINDOW,
    Claims,
    CodeCheck,
    CodeStamp,
    CredentialError,
    CredentialFault,
    CredentialKind,
    HolderAlgorithm,
    HolderKey,
    InvalidClaimsError,
    InvalidHolderKeyError,
    PhoneKey,
    ReplayMemory,
    SigningKey,
    check_living_code,
    credential_payload,
    decode_qr,
    qr_version,
    read_living_code,
    render_qr_png,
    sign_credential,
    verify_credential,
)
from portique.credentials.payload import FLAG_HOLDER_KEY, FORMAT_VERSION, PHONE_FORMAT_VERSION
from portique.credentials.phone import CODE_MAGIC, HEADER_BYTES, code_message

SHOWN = datetime(2025, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module", params=list(HolderAlgorithm), ids=lambda a: a.label)
def phone(request: pytest.FixtureRequest) -> PhoneKey:
    return PhoneKey(request.param)


@pytest.fixture
def phone_claims(make_claims: Callable[..., Claims], phone: PhoneKey) -> Claims:
    return make_claims(kind=CredentialKind.PHONE, holder_key=phone.holder_key)


@pytest.fixture
def phone_payload(phone_claims: Claims, signing_key: SigningKey) -> bytes:
    return sign_credential(phone_claims, signing_key)


def _code(phone: PhoneKey, payload: bytes, claims: Claims, at: datetime = SHOWN) -> bytes:
    return phone.living_code(
        payload, site_id=claims.site_id, credential_id=claims.credential_id, at=at
    )


# The payload, version 3 ---------------------------------------------------------------


def test_a_phone_pass_is_format_version_3_with_its_key_before_the_signature(
    phone_claims: Claims, phone_payload: bytes, phone: PhoneKey
) -> None:
    magic, version, kind, flags = phone_payload[:4]
    assert (magic, version, kind, flags) == (0xFB, PHONE_FORMAT_VERSION, 2, FLAG_HOLDER_KEY)
    key = phone.holder_key
    field = bytes([key.algorithm]) + key.raw
    assert phone_payload[-64 - len(field) : -64] == field


def test_a_phone_pass_round_trips_with_its_holder_key(
    phone_claims: Claims, phone_payload: bytes, verifiers: dict[str, object]
) -> None:
    claims = verify_credential(phone_payload, verifiers)  # type: ignore[arg-type]
    assert claims == phone_claims
    assert claims.holder_key == phone_claims.holder_key


def test_cards_stay_version_1_byte_for_byte(
    make_claims: Callable[..., Claims], signing_key: SigningKey
) -> None:
    payload = sign_credential(make_claims(), signing_key)
    assert payload[1] == FORMAT_VERSION
    assert payload[3] == 0


def test_only_a_phone_pass_carries_a_holder_key(
    make_claims: Callable[..., Claims], phone: PhoneKey
) -> None:
    with pytest.raises(InvalidClaimsError, match="phone pass"):
        make_claims(kind=CredentialKind.CARD, holder_key=phone.holder_key)


def test_an_unknown_key_algorithm_is_garbage(
    phone_payload: bytes, phone: PhoneKey, verifiers: dict[str, object]
) -> None:
    altered = bytearray(phone_payload)
    altered[-64 - 1 - phone.algorithm.key_bytes] = 9
    with pytest.raises(CredentialError) as caught:
        verify_credential(bytes(altered), verifiers)  # type: ignore[arg-type]
    assert caught.value.fault is CredentialFault.GARBAGE


def test_a_holder_key_flag_in_version_1_is_garbage(
    make_claims: Callable[..., Claims], signing_key: SigningKey, verifiers: dict[str, object]
) -> None:
    altered = bytearray(sign_credential(make_claims(), signing_key))
    altered[3] = FLAG_HOLDER_KEY
    with pytest.raises(CredentialError) as caught:
        verify_credential(bytes(altered), verifiers)  # type: ignore[arg-type]
    assert caught.value.fault is CredentialFault.GARBAGE


# Holder keys ----------------------------------------------------------------------------


def test_an_uncompressed_p256_key_from_webcrypto_is_kept_compressed() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    uncompressed = private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    key = HolderKey.of(HolderAlgorithm.ECDSA_P256, uncompressed)
    assert len(uncompressed) == 65
    assert key.raw == private.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)


@pytest.mark.parametrize(
    ("algorithm", "raw"),
    [
        (HolderAlgorithm.ECDSA_P256, b"\x04" + b"\x01" * 64),  # not on the curve
        (HolderAlgorithm.ECDSA_P256, b"\x02" + b"\xff" * 32),
        (HolderAlgorithm.ECDSA_P256, b""),
        (HolderAlgorithm.ED25519, b"\x00" * 31),
        (HolderAlgorithm.ED25519, b"\x00" * 33),
    ],
)
def test_a_key_that_is_not_a_key_is_refused(algorithm: HolderAlgorithm, raw: bytes) -> None:
    with pytest.raises(InvalidHolderKeyError):
        HolderKey.of(algorithm, raw)


def test_algorithms_are_named_as_the_app_names_them() -> None:
    assert HolderAlgorithm.from_label("Ed25519") is HolderAlgorithm.ED25519
    assert HolderAlgorithm.from_label("ECDSA-P256") is HolderAlgorithm.ECDSA_P256
    with pytest.raises(InvalidHolderKeyError, match="RSA"):
        HolderAlgorithm.from_label("RSA")


# The living code ------------------------------------------------------------------------


def test_a_living_code_is_magic_version_time_signature_then_the_credential(
    phone: PhoneKey, phone_claims: Claims, phone_payload: bytes
) -> None:
    code = _code(phone, phone_payload, phone_claims)
    assert code[0] == CODE_MAGIC == 0xFC
    assert code[1] == 1
    assert struct.unpack(">I", code[2:6])[0] == int(SHOWN.timestamp())
    assert code[HEADER_BYTES:] == phone_payload
    assert len(code) == HEADER_BYTES + len(phone_payload) == 70 + len(phone_payload)
    read = read_living_code(code)
    assert read is not None and read.time == SHOWN and read.payload == phone_payload
    assert credential_payload(code) == phone_payload


def test_the_phone_signs_the_site_the_credential_and_the_time(
    phone: PhoneKey, phone_claims: Claims, phone_payload: bytes
) -> None:
    read = read_living_code(_code(phone, phone_payload, phone_claims))
    assert read is not None
    message = code_message(phone_claims.site_id, phone_claims.credential_id, SHOWN)
    assert message.startswith(b"portique-phone-code\x01")
    assert phone.holder_key.verifies(read.signature, message)


def test_a_card_is_not_a_living_code() -> None:
    assert read_living_code(b"\xfb\x01rest") is None
    assert credential_payload(b"\xfb\x01rest") == b"\xfb\x01rest"


@pytest.mark.parametrize(
    ("data", "fault"),
    [
        (b"\xfc", CredentialFault.TRUNCATED),
        (b"\xfc\x01" + b"\x00" * 68, CredentialFault.TRUNCATED),
        (b"\xfc\x02" + b"\x00" * 100, CredentialFault.UNSUPPORTED_VERSION),
        (b"\xfc\x01" + b"\x00" * 1300, CredentialFault.GARBAGE),
    ],
)
def test_a_damaged_living_code_is_refused_with_a_fault(data: bytes, fault: CredentialFault) -> None:
    with pytest.raises(CredentialError) as caught:
        read_living_code(data)
    assert caught.value.fault is fault


@pytest.mark.parametrize("seconds", [-30, 0, 29, 30])
def test_a_code_within_the_window_is_valid(
    phone: PhoneKey, phone_claims: Claims, phone_payload: bytes, seconds: int
) -> None:
    code = read_living_code(_code(phone, phone_payload, phone_claims))
    now = SHOWN + timedelta(seconds=seconds, milliseconds=0 if seconds else 999)
    assert check_living_code(code, phone_claims, now) is CodeCheck.VALID


@pytest.mark.parametrize("seconds", [-31, 31, 90])
def test_a_code_outside_the_window_is_stale(
    phone: PhoneKey, phone_claims: Claims, phone_payload: bytes, seconds: int
) -> None:
    code = read_living_code(_code(phone, phone_payload, phone_claims))
    now = SHOWN + timedelta(seconds=seconds)
    assert check_living_code(code, phone_claims, now) is CodeCheck.STALE


def test_a_code_signed_by_another_phone_is_forged(
    phone: PhoneKey, phone_claims: Claims, phone_payload: bytes
) -> None:
    code = read_living_code(_code(PhoneKey(phone.algorithm), phone_payload, phone_claims))
    assert check_living_code(code, phone_claims, SHOWN) is CodeCheck.FORGED


def test_a_stale_forgery_is_reported_as_a_forgery(
    phone: PhoneKey, phone_claims: Claims, phone_payload: bytes
) -> None:
    code = read_living_code(_code(PhoneKey(phone.algorithm), phone_payload, phone_claims))
    later = SHOWN + timedelta(hours=1)
    assert check_living_code(code, phone_claims, later) is CodeCheck.FORGED


def test_no_code_or_no_holder_key_is_forged(
    phone: PhoneKey, phone_claims: Claims, phone_payload: bytes
) -> None:
    code = read_living_code(_code(phone, phone_payload, phone_claims))
    assert check_living_code(None, phone_claims, SHOWN) is CodeCheck.FORGED
    keyless = replace(phone_claims, holder_key=None)
    assert check_living_code(code, keyless, SHOWN) is CodeCheck.FORGED


PHONES = {algorithm: PhoneKey(algorithm) for algorithm in HolderAlgorithm}


@settings(max_examples=200)
@given(data=st.data())
def test_any_change_to_a_code_breaks_it(data: st.DataObject, signing_key: SigningKey) -> None:
    """Whatever byte of the code changes, the lane never takes it for a good code of
    the same pass: its time, its signature and its credential are all covered."""
    phone = PHONES[data.draw(st.sampled_from(HolderAlgorithm))]
    claims = Claims(
        CREDENTIAL_ID,
        PERSON_ID,
        SITE_ID,
        CredentialKind.PHONE,
        VALID_FROM,
        VALID_UNTIL,
        signing_key.key_id,
        holder_key=phone.holder_key,
    )
    payload = sign_credential(claims, signing_key)
    code = _code(phone, payload, claims)
    position = data.draw(st.integers(0, len(code) - 1), label="position")
    value = data.draw(st.integers(0, 255).filter(lambda v: v != code[position]), label="value")
    damaged = code[:position] + bytes([value]) + code[position + 1 :]
    verifiers = {signing_key.key_id: signing_key.public_key}
    try:
        read = read_living_code(damaged)
        if read is None:  # no longer a living code: a credential decoder's garbage
            verify_credential(damaged, verifiers)
            raise AssertionError("a damaged code was read as a credential")
        verified = verify_credential(read.payload, verifiers)
    except CredentialError:
        return
    assert check_living_code(read, verified, read.time) is not CodeCheck.VALID


# Size in a QR code ------------------------------------------------------------------------


@pytest.mark.parametrize("person_id", ["p-7f3a9c2e41", "0f8fad5b-d9cb-469f-a165-70867728950e"])
def test_a_living_code_fits_a_version_12_qr_code_and_reads_back(
    make_claims: Callable[..., Claims],
    signing_key: SigningKey,
    phone: PhoneKey,
    person_id: str,
) -> None:
    claims = make_claims(
        kind=CredentialKind.PHONE, holder_key=phone.holder_key, person_id=person_id
    )
    code = _code(phone, sign_credential(claims, signing_key), claims)
    assert qr_version(code) <= 12
    assert decode_qr(render_qr_png(code, scale=4)) == code


# The replay memory ------------------------------------------------------------------------


def test_the_memory_remembers_a_code_once() -> None:
    memory = ReplayMemory()
    stamp = CodeStamp("kq3v7x2mbn4tw5ha", SHOWN)
    assert stamp not in memory
    assert memory.remember(stamp, SHOWN)
    assert stamp in memory
    assert stamp in memory.stamps()
    assert not memory.remember(stamp, SHOWN + timedelta(seconds=1))
    assert len(memory) == 1


def test_the_memory_forgets_codes_once_they_are_stale_anyway() -> None:
    memory = ReplayMemory()
    old = CodeStamp("a", SHOWN)
    memory.remember(old, SHOWN)
    later = SHOWN + CODE_WINDOW + timedelta(seconds=1)
    memory.remember(CodeStamp("b", later), later)
    assert old not in memory
    assert len(memory) == 1


def test_the_memory_keeps_a_code_until_its_window_ends() -> None:
    memory = ReplayMemory()
    early = CodeStamp("a", SHOWN + timedelta(seconds=20))  # a phone clock ahead
    memory.remember(early, SHOWN)
    at_end = SHOWN + timedelta(seconds=20) + CODE_WINDOW
    memory.remember(CodeStamp("b", at_end), at_end)
    assert early in memory


def test_the_memory_is_bounded_whatever_comes() -> None:
    memory = ReplayMemory(limit=3)
    for second in range(10):
        memory.remember(CodeStamp(f"c{second}", SHOWN), SHOWN)
    assert len(memory) == 3
    assert CodeStamp("c9", SHOWN) in memory
    assert CodeStamp("c0", SHOWN) not in memory


def test_a_code_already_stale_is_not_kept() -> None:
    memory = ReplayMemory()
    assert memory.remember(CodeStamp("a", VALID_FROM), SHOWN)
    assert len(memory) == 0

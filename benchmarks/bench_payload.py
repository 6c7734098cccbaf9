"""Credential payload size and the QR code it needs, with and without a face template.

Run: .venv/bin/python benchmarks/bench_payload.py [--json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import date
from pathlib import Path

import numpy as np

from portique.credentials import (
    Claims,
    CredentialKind,
    default_validity,
    init_keyring,
    new_credential_id,
    payload_to_text,
    qr_version,
    seal_template,
    sign_credential,
)


def measure() -> list[dict[str, object]]:
    """One row per case: payload bytes, text characters, QR versions (error correction M)."""
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as folder:
        keyring = init_keyring(Path(folder) / "keys")
        key = keyring.signing_key()
        valid_from, valid_until = default_validity(date(2026, 9, 1))
        rng = np.random.default_rng(0)
        for person_id in ("p-7KQ2M4XR9A", "3f1c9a52-8a0e-4c55-9a3b-1d2e3f4a5b6c"):
            for with_template in (False, True):
                credential_id = new_credential_id()
                sealed = None
                if with_template:
                    vector = rng.normal(size=128).astype(np.float32)
                    vector /= np.linalg.norm(vector)
                    sealed = seal_template(
                        vector, keyring.template_key(key.key_id), credential_id, person_id
                    )
                claims = Claims(
                    credential_id=credential_id,
                    person_id=person_id,
                    site_id="0130001A",
                    kind=CredentialKind.CARD,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    key_id=key.key_id,
                    sealed_template=sealed,
                )
                payload = sign_credential(claims, key)
                rows.append(
                    {
                        "person_id_chars": len(person_id),
                        "template": with_template,
                        "payload_bytes": len(payload),
                        "text_chars": len(payload_to_text(payload)),
                        "qr_version_binary": qr_version(payload, "binary"),
                        "qr_version_text": qr_version(payload, "text"),
                    }
                )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    rows = measure()
    if args.json:
        print(json.dumps({"rows": rows}))
        return
    print("person id | template | payload B | text chars | QR (binary) | QR (text)")
    for row in rows:
        print(
            f"{row['person_id_chars']:>9} | {'yes' if row['template'] else 'no':>8} | "
            f"{row['payload_bytes']:>9} | {row['text_chars']:>10} | "
            f"v{row['qr_version_binary']:<10} | v{row['qr_version_text']}"
        )


if __name__ == "__main__":
    main()

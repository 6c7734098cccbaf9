"""The site's MQTT broker locked down: its CA and TLS certificate, a login per lane and for
the hub, and ACLs that keep each lane to its own topics (a Mosquitto configuration).

The CA stays in the site's keys folder (``broker-ca.key``, ``broker-ca.crt``), so that
each lane provisioned gets the same CA certificate and a configuration made again keeps
trusting the lanes already installed. Passwords are stored as Mosquitto's PBKDF2-SHA512
hashes (``$7$``, what ``mosquitto_passwd`` writes); only the lane's own folder and the
hub's login file hold them in clear.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from portique.errors import ConfigurationError
from portique.files import exposed_mode, write_private
from portique.lane.comms.identity import LaneRecord
from portique.lane.comms.mqtt import ROOT

CA_KEY_FILE = "broker-ca.key"
CA_CERT_FILE = "broker-ca.crt"
HUB_LOGIN_FILE = "broker-hub.json"
BROKER_DIR_FILE = "broker.json"
"""In the keys folder: where the broker's configuration was last written (a lane's
revocation writes its logins and ACLs again there)."""
CONFIG_FILE = "mosquitto.conf"
PASSWORD_FILE = "passwd"
ACL_FILE = "acl"
SERVER_KEY_FILE = "server.key"
SERVER_CERT_FILE = "server.crt"
PBKDF2_ITERATIONS = 101_000
SALT_BYTES = 12
CA_YEARS = 10
SERVER_YEARS = 2


def mosquitto_hash(password: str, *, salt: bytes | None = None) -> str:
    """``password`` as a line of Mosquitto's password file expects it: ``$7$`` (PBKDF2
    with SHA-512), the iterations, the salt and the hash in base64."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, PBKDF2_ITERATIONS)
    encoded = [base64.b64encode(part).decode("ascii") for part in (salt, digest)]
    return f"$7${PBKDF2_ITERATIONS}${encoded[0]}${encoded[1]}"


def new_password() -> str:
    return secrets.token_urlsafe(24)


def lane_username(site_id: str, lane_id: str) -> str:
    return f"lane-{site_id}-{lane_id}"


def hub_username(site_id: str) -> str:
    return f"hub-{site_id}"


@dataclass(frozen=True)
class HubLogin:
    username: str
    password: str = field(repr=False)
    password_hash: str = field(repr=False)


def hub_login(keys_dir: Path, site_id: str) -> HubLogin:
    """The hub's broker login (``keys/broker-hub.json``), made on first use."""
    path = Path(keys_dir) / HUB_LOGIN_FILE
    if not path.exists():
        password = new_password()
        body = {
            "username": hub_username(site_id),
            "password": password,
            "password_hash": mosquitto_hash(password),
        }
        write_private(path, json.dumps(body, indent=2).encode("utf-8") + b"\n")
    data = _private_json(path)
    return HubLogin(data["username"], data["password"], data["password_hash"])


def _private_json(path: Path) -> dict[str, str]:
    mode = exposed_mode(path)
    if mode is not None:
        raise ConfigurationError(f"{path} is accessible to other users: `chmod 600 {path}`.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"Cannot read {path}: {exc}.") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path} is not a JSON object.")
    return {str(k): str(v) for k, v in data.items()}


def broker_ca(keys_dir: Path, now: datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The site's broker CA, made on first use."""
    key_path, cert_path = Path(keys_dir) / CA_KEY_FILE, Path(keys_dir) / CA_CERT_FILE
    if not key_path.exists() or not cert_path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Portique broker CA")])
        cert = (
            _builder(name, name, key.public_key(), now, CA_YEARS)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        write_private(key_path, _key_pem(key))
        write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey):
        raise ConfigurationError(f"{key_path} is not the broker CA's key.")
    return loaded, x509.load_pem_x509_certificate(cert_path.read_bytes())


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    now: datetime,
    years: int,
) -> x509.CertificateBuilder:
    # TLS peers (Mosquitto, OpenSSL) check the window against the machine's own clock,
    # not Portique's: it covers both, so certificates made at a chosen time (a replay, a
    # test's shifted clock) are valid for them too.
    system = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(min(now, system) - timedelta(hours=1))
        .not_valid_after(max(now, system) + timedelta(days=365 * years))
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def server_certificate(
    ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate], hosts: Sequence[str], now: datetime
) -> tuple[bytes, bytes]:
    """A TLS key and certificate (PEM) for the broker, valid for ``hosts``."""
    ca_key, ca_cert = ca
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    cert = (
        _builder(subject, ca_cert.subject, key.public_key(), now, SERVER_YEARS)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return _key_pem(key), cert.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class BrokerSite:
    """One site the broker serves: its hub's login and its lane devices."""

    site_id: str
    hub: HubLogin
    lanes: Sequence[LaneRecord]


def password_lines(sites: Sequence[BrokerSite]) -> str:
    """Mosquitto's password file: the hub and every lane not revoked."""
    lines = []
    for site in sites:
        lines.append(f"{site.hub.username}:{site.hub.password_hash}")
        for lane in _active(site.lanes):
            lines.append(f"{lane_username(site.site_id, lane.lane_id)}:{lane.broker_password_hash}")
    return "\n".join(lines) + "\n"


def acl_lines(sites: Sequence[BrokerSite]) -> str:
    """Mosquitto's ACL file: the hub reads and writes its site; a lane writes its own
    events and status, reads its own snapshot and receipts and the server's status."""
    blocks = []
    for site in sites:
        base = f"{ROOT}/{site.site_id}"
        blocks.append(f"user {site.hub.username}\ntopic readwrite {base}/#\n")
        for lane in _active(site.lanes):
            own = f"{base}/lane/{lane.lane_id}"
            blocks.append(
                f"user {lane_username(site.site_id, lane.lane_id)}\n"
                f"topic write {own}/events\n"
                f"topic write {own}/status\n"
                f"topic read {own}/snapshot\n"
                f"topic read {own}/receipts\n"
                f"topic read {base}/server\n"
            )
    return "\n".join(blocks)


def _active(lanes: Sequence[LaneRecord]) -> list[LaneRecord]:
    return sorted(
        (lane for lane in lanes if not lane.revoked and lane.broker_password_hash),
        key=lambda lane: lane.lane_id,
    )


def mosquitto_config(directory: Path, port: int, bind: str | None, user: str | None = None) -> str:
    """mosquitto.conf for a TLS listener with logins and ACLs, files in ``directory``.
    ``user``: the account Mosquitto runs as once started (it must read these files,
    which are owner-only)."""
    folder = Path(directory).resolve()
    listener = f"listener {port}" + (f" {bind}" if bind else "")
    return "\n".join(
        [
            "# Made by `portique broker config`: TLS, one login per lane and for the hub, ACLs.",
            *([f"user {user}"] if user else []),
            "per_listener_settings false",
            "allow_anonymous false",
            f"password_file {folder / PASSWORD_FILE}",
            f"acl_file {folder / ACL_FILE}",
            "persistence false",
            listener,
            f"cafile {folder / CA_CERT_FILE}",
            f"certfile {folder / SERVER_CERT_FILE}",
            f"keyfile {folder / SERVER_KEY_FILE}",
            "tls_version tlsv1.2",
            "",
        ]
    )


@dataclass(frozen=True)
class BrokerFiles:
    directory: Path
    config: Path
    hub_username: str
    lanes: int


def write_broker_config(
    keys_dir: Path,
    site_id: str,
    lanes: Sequence[LaneRecord],
    out: Path,
    *,
    now: datetime,
    port: int = 8883,
    bind: str | None = None,
    hosts: Sequence[str] = ("localhost", "127.0.0.1"),
    user: str | None = None,
) -> BrokerFiles:
    """Writes the broker's configuration for ``site_id`` into ``out`` (mode 0600 files)
    and remembers where, so that a revocation updates its logins."""
    ca = broker_ca(keys_dir, now)
    hub = hub_login(keys_dir, site_id)
    server_key, server_cert = server_certificate(ca, hosts, now)
    out = Path(out)
    write_private(out / CA_CERT_FILE, ca[1].public_bytes(serialization.Encoding.PEM))
    write_private(out / SERVER_KEY_FILE, server_key)
    write_private(out / SERVER_CERT_FILE, server_cert)
    write_private(out / CONFIG_FILE, mosquitto_config(out, port, bind, user).encode("utf-8"))
    write_logins(out, [BrokerSite(site_id, hub, lanes)])
    body = {"directory": str(out.resolve())}
    write_private(Path(keys_dir) / BROKER_DIR_FILE, json.dumps(body).encode("utf-8") + b"\n")
    return BrokerFiles(out, out / CONFIG_FILE, hub.username, len(_active(lanes)))


def write_logins(out: Path, sites: Sequence[BrokerSite]) -> None:
    """Writes the password and ACL files (again, after a provision or a revocation)."""
    write_private(Path(out) / PASSWORD_FILE, password_lines(sites).encode("utf-8"))
    write_private(Path(out) / ACL_FILE, acl_lines(sites).encode("utf-8"))


def broker_directory(keys_dir: Path) -> Path | None:
    """Where the broker's configuration was last written, if it was."""
    path = Path(keys_dir) / BROKER_DIR_FILE
    if not path.exists():
        return None
    folder = Path(_private_json(path)["directory"])
    return folder if folder.is_dir() else None

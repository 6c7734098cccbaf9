"""Reading an administration's XML export safely: alone or in its ZIP, size-capped, in the
encoding it declares, with no DTD, no entity and nothing fetched from the network.

SIECLE and STS-Web hand out XML declared ``ISO-8859-15`` (older exports) or ``UTF-8``,
often inside an ``ExportXML_….zip``. Such a file comes from an upload or a USB key: it is
treated as hostile. The archive is read in memory (never extracted, so no path in it
matters), each member is capped before it is inflated, and the XML is parsed by
``defusedxml`` with DTDs forbidden, which also rules out entity expansion ("billion
laughs") and external references.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml.ElementTree import fromstring

from portique.i18n import text
from portique.registers.errors import RegisterEncodingError, RegisterFormatError

MAX_XML_BYTES = 32_000_000
"""Largest XML accepted: a 3,000-pupil lycée's export with addresses is about 10 MB."""
MAX_ARCHIVE_MEMBERS = 64
MAX_INFLATION_RATIO = 200
"""A member inflating more than this is taken for a ZIP bomb (XML compresses ~10:1)."""

ACCEPTED_ENCODINGS = {
    "utf-8": "UTF-8",
    "iso8859-15": "ISO-8859-15",
    "latin-1": "ISO-8859-1",
    "cp1252": "Windows-1252",
}
"""The encodings exports are written in (by Python's codec name), as shown to people."""

_DECLARATION = re.compile(rb"^<\?xml[^>]*?\?>", re.DOTALL)
_DECLARED_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_ZIP_MAGIC = b"PK\x03\x04"
_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True)
class XmlExport:
    """A parsed export: its root element, the encoding it was read in, the archive member
    it came from (None for a plain file), and the SHA-256 of its XML bytes."""

    root: Element
    encoding: str
    member: str | None
    digest: str


def child_text(element: Element, path: str) -> str:
    """The stripped text of ``element``'s first child at ``path``; "" when absent or empty."""
    found = element.find(path)
    return "" if found is None or found.text is None else found.text.strip()


MemberChooser = Callable[[Sequence[str]], str | None]
"""Picks the member to read among an archive's file names (None: none fits)."""


def read_export(
    data: bytes,
    *,
    name: str,
    roots: Sequence[str],
    choose: MemberChooser | None = None,
) -> XmlExport:
    """The export in ``data`` (an XML file or a ZIP holding one), checked to have one of
    the ``roots``. ``name`` is how the file is called in messages.

    Raises:
        RegisterFormatError: not XML, a broken or oversized archive, another kind of
            export (its root), a DTD or entity. RegisterEncodingError: bytes that are not
            in the declared encoding, or an encoding exports are never written in.
    """
    member = None
    if data.startswith(_ZIP_MAGIC):
        member, data = _from_archive(data, name, choose)
        name = f"{name} › {member}"
    if len(data) > MAX_XML_BYTES:
        raise RegisterFormatError(
            text(
                f"{name} : fichier trop volumineux ({len(data):,} octets, au plus "
                f"{MAX_XML_BYTES:,}).",
                f"{name}: file too large ({len(data):,} bytes, at most {MAX_XML_BYTES:,}).",
            )
        )
    content, encoding = decode_xml(data, name)
    root = _parse(content, name)
    if root.tag not in roots:
        raise RegisterFormatError(
            text(
                f"{name} : export de type {root.tag}, alors qu'on attend {' ou '.join(roots)}.",
                f"{name}: a {root.tag} export, where {' or '.join(roots)} is expected.",
            )
        )
    return XmlExport(root, encoding, member, hashlib.sha256(data).hexdigest())


def _from_archive(data: bytes, name: str, choose: MemberChooser | None) -> tuple[str, bytes]:
    """The chosen XML member of a ZIP archive, read in memory within the caps."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > MAX_ARCHIVE_MEMBERS:
            raise RegisterFormatError(
                text(
                    f"{name} : archive de {len(infos)} fichiers, ce n'est pas un export.",
                    f"{name}: an archive of {len(infos)} files is not an export.",
                )
            )
        names = [info.filename for info in infos if info.filename.lower().endswith(".xml")]
        chosen = (choose or _single)(names)
        if chosen is None:
            raise RegisterFormatError(
                text(
                    f"{name} : l'archive ne contient pas l'export attendu "
                    f"(fichiers XML : {', '.join(names) or 'aucun'}).",
                    f"{name}: the archive does not hold the expected export "
                    f"(XML files: {', '.join(names) or 'none'}).",
                )
            )
        info = archive.getinfo(chosen)
        if info.file_size > MAX_XML_BYTES or info.file_size > MAX_INFLATION_RATIO * max(
            info.compress_size, 1
        ):
            raise RegisterFormatError(
                text(
                    f"{name} : {chosen} décompressé ferait {info.file_size:,} octets ; refusé.",
                    f"{name}: {chosen} would inflate to {info.file_size:,} bytes; refused.",
                )
            )
        with archive.open(info) as stream:
            content = stream.read(MAX_XML_BYTES + 1)
    except (
        zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
    ) as exc:  # fmt: skip
        raise RegisterFormatError(
            text(
                f"{name} : archive ZIP tronquée ou illisible ({exc}). Téléchargez l'export "
                "à nouveau.",
                f"{name}: truncated or unreadable ZIP archive ({exc}). Download the export again.",
            )
        ) from None
    return chosen, content


def _single(names: Sequence[str]) -> str | None:
    return names[0] if len(names) == 1 else None


def decode_xml(data: bytes, name: str) -> tuple[str, str]:
    """The text of an XML file and the encoding it was read in (as shown to people).

    The declared encoding is trusted only when the bytes agree: a file declared in a
    single-byte encoding whose accented letters are UTF-8 sequences was converted by
    some tool along the way, and reading it as declared would garble every name.
    """
    body = data.lstrip(b" \t\r\n")
    if body.startswith(_UTF16_BOMS):
        raise RegisterEncodingError(
            text(
                f"{name} : fichier en UTF-16 ; les exports sont en UTF-8 ou en ISO-8859-15.",
                f"{name}: a UTF-16 file; exports are in UTF-8 or ISO-8859-15.",
            )
        )
    if body.startswith(_UTF8_BOM):
        body = body[len(_UTF8_BOM) :]
    if not body.startswith(b"<"):
        raise RegisterFormatError(
            text(
                f"{name} : ce n'est pas un fichier XML (ni une archive ZIP).",
                f"{name}: this is not an XML file (nor a ZIP archive).",
            )
        )
    codec, shown = _declared(body, name)
    try:
        content = body.decode(codec)
    except UnicodeDecodeError as exc:
        raise RegisterEncodingError(
            text(
                f"{name} : le fichier se déclare en {shown} mais l'octet 0x{body[exc.start]:02X} "
                f"(position {exc.start}) n'est pas du {shown} ; réexportez-le sans le convertir.",
                f"{name}: the file declares {shown} but byte 0x{body[exc.start]:02X} "
                f"(offset {exc.start}) is not {shown}; export it again without converting it.",
            )
        ) from None
    if codec != "utf-8" and not body.isascii() and _is_utf8(body):
        raise RegisterEncodingError(
            text(
                f"{name} : le fichier se déclare en {shown} mais il est écrit en UTF-8 "
                "(ses lettres accentuées seraient illisibles) ; réexportez-le sans le convertir.",
                f"{name}: the file declares {shown} but is written in UTF-8 (its accented "
                "letters would be garbled); export it again without converting it.",
            )
        )
    return content, shown


def _declared(body: bytes, name: str) -> tuple[str, str]:
    """The codec the XML declaration names (UTF-8 when it names none), if accepted."""
    declaration = _DECLARATION.match(body)
    found = _DECLARED_ENCODING.search(declaration.group(0)) if declaration else None
    if found is None:
        return "utf-8", ACCEPTED_ENCODINGS["utf-8"]
    label = found.group(1).decode("ascii")
    try:
        codec = codecs.lookup(label).name
    except LookupError:
        codec = ""
    if codec not in ACCEPTED_ENCODINGS:
        raise RegisterEncodingError(
            text(
                f"{name} : encodage {label} non pris en charge (UTF-8 ou ISO-8859-15 attendu).",
                f"{name}: encoding {label} is not supported (UTF-8 or ISO-8859-15 expected).",
            )
        )
    return codec, ACCEPTED_ENCODINGS[codec]


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _parse(content: str, name: str) -> Element:
    """The root of the document; the declaration is dropped (the text is decoded already)."""
    utf8 = _DECLARATION.sub(b"", content.encode("utf-8"), count=1)
    try:
        root: Element = fromstring(utf8, forbid_dtd=True)
    except ParseError as exc:
        line, column = exc.position
        raise RegisterFormatError(
            text(
                f"{name} : XML mal formé ou tronqué (ligne {line}, colonne {column + 1}).",
                f"{name}: malformed or truncated XML (line {line}, column {column + 1}).",
            )
        ) from None
    except defusedxml.DefusedXmlException:
        raise RegisterFormatError(
            text(
                f"{name} : déclaration DTD ou entité refusée ; un export n'en contient pas.",
                f"{name}: DTD or entity declaration refused; an export holds none.",
            )
        ) from None
    return root

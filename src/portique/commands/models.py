"""`portique models`: build the converted face descriptor and check the model files."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from portique.commands.common import CommandApp, err, out, print_json
from portique.commands.options import HelpSection, JsonOption
from portique.i18n import text

_help = HelpSection("models")

models_app = CommandApp(help=_help("models_app"), no_args_is_help=True)


@models_app.command("build", help=_help("build"))
def build(
    force: Annotated[bool, typer.Option("--force", help=_help("force"))] = False,
    as_json: JsonOption = False,
) -> None:
    """Build the converted descriptor."""
    import json

    from portique.biometrics import dlib_onnx

    started = time.perf_counter()
    path = dlib_onnx.converted_model()
    if force:
        path.with_name(path.name + ".json").unlink(missing_ok=True)
        path = dlib_onnx.converted_model()
    record = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))
    summary = {
        "model": str(path),
        "onnx_sha256": record.get("onnx_sha256"),
        "source": record.get("source"),
        "source_sha256": record.get("source_sha256"),
        "converter_version": record.get("converter_version"),
        "seconds": round(time.perf_counter() - started, 2),
    }
    if as_json:
        print_json(summary)
        return
    out.print(text("Modèle converti : ", "Converted model: ") + str(path))
    out.print(f"sha256 {summary['onnx_sha256']}")
    err.print(
        text("Source : ", "Source: ") + f"{summary['source']} (sha256 {summary['source_sha256']})"
    )


@models_app.command("list", help=_help("list_models"))
def list_models(as_json: JsonOption = False) -> None:
    """List the known model files and which are installed."""
    from portique.biometrics.models import installed_models

    rows = installed_models()
    if as_json:
        print_json(
            [
                {
                    "file": m.filename,
                    "model": m.name,
                    "role": m.role,
                    "licence": m.licence,
                    "licence_note": m.licence_note or None,
                    "upstream": m.upstream,
                    "preprocessing": m.preprocessing,
                    "sha256": m.sha256,
                    "installed": str(path) if path else None,
                }
                for m, path in rows
            ]
        )
        return
    table = Table(title=text("Modèles ONNX reconnus", "Known ONNX models"))
    for column in (
        text("Fichier", "File"),
        text("Rôle", "Role"),
        text("Licence", "Licence"),
        "sha256",
        text("Installé", "Installed"),
    ):
        table.add_column(column)
    for m, path in rows:
        table.add_row(m.filename, m.role, m.licence, m.sha256[:16] + "…", str(path or "—"))
    out.print(table)
    for m, _path in rows:
        if m.licence_note:
            err.print(text("Licence : ", "Licence: ") + m.licence_note)


@models_app.command("install", help=_help("install"))
def install(
    source: Annotated[str | None, typer.Argument(help=_help("source"))] = None,
    from_dir: Annotated[Path | None, typer.Option("--from", help=_help("from"))] = None,
    as_json: JsonOption = False,
) -> None:
    """Install known model files into the data directory."""
    from portique.biometrics.models import install_folder, install_model
    from portique.errors import BadInputError

    if (source is None) == (from_dir is None):
        raise BadInputError(
            text(
                "Donner soit un fichier ou une adresse, soit --from DOSSIER.",
                "Give either a file or an address, or --from FOLDER.",
            )
        )
    done = install_folder(from_dir) if from_dir is not None else [install_model(str(source))]
    if as_json:
        print_json(
            {
                "installed": [
                    {"file": m.filename, "model": m.name, "sha256": m.sha256, "path": str(path)}
                    for m, path in done
                ]
            }
        )
        return
    for m, path in done:
        out.print(text("Installé : ", "Installed: ") + f"{m.filename} → {path} (sha256 ok)")
        if m.licence_note:
            err.print(text("Licence : ", "Licence: ") + m.licence_note)

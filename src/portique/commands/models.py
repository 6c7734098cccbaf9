"""`portique models`: build the converted face descriptor and check the model files."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from portique.commands.common import CommandApp, err, out, print_json
from portique.commands.faces import JsonOption
from portique.i18n import text

models_app = CommandApp(
    help=text(
        "Modèles de visage : conversion du descripteur dlib en ONNX, vérification des fichiers.",
        "Face models: convert dlib's descriptor to ONNX, check the model files.",
    ),
    no_args_is_help=True,
)


@models_app.command(
    "build",
    help=text(
        "Convertir le descripteur ResNet de dlib (fichier .dat du paquet "
        "face-recognition-models) en modèle ONNX, mis en cache avec son sha256. Fait "
        "automatiquement au premier usage ; --force le refait.",
        "Convert dlib's ResNet descriptor (the .dat file of the face-recognition-models "
        "package) into an ONNX model, cached with its sha256. Done automatically on first "
        "use; --force rebuilds it.",
    ),
)
def build(
    force: Annotated[
        bool,
        typer.Option(
            "--force", help=text("Reconvertir même si à jour.", "Rebuild even if current.")
        ),
    ] = False,
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


@models_app.command(
    "list",
    help=text(
        "Lister les modèles connus, leur provenance, leur licence et leur empreinte sha256.",
        "List the known models, where they come from, their licence and sha256.",
    ),
)
def list_models(as_json: JsonOption = False) -> None:
    """List the known model files."""
    from portique.biometrics.models import KNOWN_MODELS

    if as_json:
        print_json(
            [
                {
                    "file": m.filename,
                    "role": m.role,
                    "licence": m.licence,
                    "upstream": m.upstream,
                    "sha256": m.sha256,
                }
                for m in KNOWN_MODELS
            ]
        )
        return
    table = Table(title=text("Modèles ONNX reconnus", "Known ONNX models"))
    for column in (
        text("Fichier", "File"),
        text("Rôle", "Role"),
        text("Licence", "Licence"),
        "sha256",
    ):
        table.add_column(column)
    for m in KNOWN_MODELS:
        table.add_row(m.filename, m.role, m.licence, m.sha256[:16] + "…")
    out.print(table)

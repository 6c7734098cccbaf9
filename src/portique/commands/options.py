"""The Typer options that several commands share, declared once: --json, --dir, --at,
--backend, --engine, --out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from portique.i18n import text

JsonOption = Annotated[
    bool,
    typer.Option(
        "--json", help=text("Un objet JSON sur la sortie standard.", "One JSON object on stdout.")
    ),
]
DirOption = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        help=text(
            "Dossier de l'établissement (par défaut PORTIQUE_DATA_DIR).",
            "Site folder (default: PORTIQUE_DATA_DIR).",
        ),
    ),
]
AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        help=text(
            "Date et heure ISO-8601 (par défaut maintenant ; sans fuseau : heure de "
            "l'établissement).",
            "ISO-8601 date and time (default: now; without an offset: the site's clock).",
        ),
    ),
]
BackendOption = Annotated[
    str | None,
    typer.Option(
        "--backend",
        help=text(
            "Moteur de visage : dlib (par défaut, embarqué), onnx (YuNet et MobileFaceNet) "
            "ou edgeface (YuNet et EdgeFace-XS ; `portique models install`).",
            "Face back end: dlib (default, embedded), onnx (YuNet and MobileFaceNet) or "
            "edgeface (YuNet and EdgeFace-XS; `portique models install`).",
        ),
    ),
]
EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help=text(
            "Pour dlib : onnx (descripteur converti, rapide) ou dlib-native (référence).",
            "For dlib: onnx (converted descriptor, fast) or dlib-native (the reference).",
        ),
    ),
]
OutDirOption = Annotated[
    Path, typer.Option("--out", help=text("Dossier de sortie.", "Output folder."))
]
EvaluationOutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help=text(
            "Dossier où écrire det.png et summary.json.",
            "Folder to write det.png and summary.json into.",
        ),
    ),
]

"""Render the pages of a PDF to PNG images (for docs/report/, docs/documents/), with pypdfium2.

.venv/bin/python benchmarks/report_pages.py out/report/report.pdf docs/report [--scale 1.4]
    [--prefix page]

writes ``<prefix>-1.png``, ``<prefix>-2.png``... into the folder, after removing that
prefix's older pages.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pypdfium2


def render_pages(pdf: Path, out: Path, *, prefix: str = "page", scale: float = 1.4) -> list[Path]:
    """Each page of ``pdf`` as ``out/<prefix>-<n>.png``."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(f"{prefix}-*.png"):
        if old.stem.removeprefix(f"{prefix}-").isdigit():
            old.unlink()
    document = pypdfium2.PdfDocument(pdf)
    written = []
    for index in range(len(document)):
        image = document[index].render(scale=scale).to_pil()
        path = out / f"{prefix}-{index + 1}.png"
        image.convert("RGB").save(path, optimize=True)
        written.append(path)
    document.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("pdf", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--scale", type=float, default=1.4)
    parser.add_argument("--prefix", default="page")
    options = parser.parse_args()
    for path in render_pages(options.pdf, options.out, prefix=options.prefix, scale=options.scale):
        print(path)


if __name__ == "__main__":
    main()

"""Render the pages of a PDF report to PNG images (for docs/report/), with pypdfium2.

.venv/bin/python benchmarks/report_pages.py out/report/report.pdf docs/report [--scale 1.4]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pypdfium2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("pdf", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--scale", type=float, default=1.4)
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    for old in options.out.glob("page-*.png"):
        old.unlink()
    document = pypdfium2.PdfDocument(options.pdf)
    for index in range(len(document)):
        image = document[index].render(scale=options.scale).to_pil()
        path = options.out / f"page-{index + 1}.png"
        image.convert("RGB").save(path, optimize=True)
        print(path)


if __name__ == "__main__":
    main()

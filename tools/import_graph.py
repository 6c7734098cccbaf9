"""Draws Portique's import graph between its top-level packages, from the real imports.

The graph is read by grimp (the engine of import-linter), every import counted, lazy
ones inside functions included. Each top-level package or module of ``portique`` is one
node; an edge ``a --> b`` says that some module of ``a`` imports one of ``b``. Edges
implied by a longer path are left out (a transitive reduction), so the picture shows the
layers rather than every shortcut through them; ``--all-edges`` keeps them.

    .venv/bin/python tools/import_graph.py                 # prints the Mermaid graph
    .venv/bin/python tools/import_graph.py --write docs/architecture.md

With ``--write``, the graph replaces what stands between the two marker lines of the
file (``<!-- import-graph:start -->`` and ``<!-- import-graph:end -->``).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

import grimp

START = "<!-- import-graph:start -->"
END = "<!-- import-graph:end -->"
ROOT = "portique"
HIDDEN = frozenset({"__main__", "__init__"})
"""Nodes left out of the picture: the entry point of ``python -m portique``."""


def package_edges(root: str = ROOT) -> set[tuple[str, str]]:
    """(importer, imported) for every pair of top-level packages with an import between
    them."""
    graph = grimp.build_graph(root)
    edges = set()
    for module in graph.modules:
        source = _top(module, root)
        for imported in graph.find_modules_directly_imported_by(module):
            target = _top(imported, root)
            if source and target and source != target:
                edges.add((source, target))
    return {(a, b) for a, b in edges if a not in HIDDEN and b not in HIDDEN}


def _top(module: str, root: str) -> str | None:
    parts = module.split(".")
    if parts[0] != root or len(parts) < 2:
        return None
    return parts[1]


def reduced(edges: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """``edges`` without those a longer path already implies."""
    edges = set(edges)
    following: dict[str, set[str]] = {}
    for source, target in edges:
        following.setdefault(source, set()).add(target)

    def reaches(start: str, goal: str, skip: tuple[str, str]) -> bool:
        seen, stack = {start}, [start]
        while stack:
            node = stack.pop()
            for nxt in following.get(node, ()):
                if (node, nxt) == skip or nxt in seen:
                    continue
                if nxt == goal:
                    return True
                seen.add(nxt)
                stack.append(nxt)
        return False

    return {edge for edge in edges if not reaches(edge[0], edge[1], edge)}


def mermaid(edges: Iterable[tuple[str, str]]) -> str:
    """The graph as a Mermaid flowchart, top (the command line) to bottom (utilities)."""
    lines = ["```mermaid", "flowchart TD"]
    lines += [f"    {source} --> {target}" for source, target in sorted(edges)]
    lines.append("```")
    return "\n".join(lines)


def write(path: Path, graph: str) -> None:
    text = path.read_text(encoding="utf-8")
    head, start, rest = text.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"{path}: the lines {START} and {END} are missing")
    path.write_text(f"{head}{START}\n{graph}\n{END}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="the Markdown file to update")
    parser.add_argument("--all-edges", action="store_true", help="keep implied edges too")
    args = parser.parse_args()
    edges = package_edges()
    graph = mermaid(edges if args.all_edges else reduced(edges))
    if args.write is None:
        print(graph)
    else:
        write(args.write, graph)


if __name__ == "__main__":
    main()

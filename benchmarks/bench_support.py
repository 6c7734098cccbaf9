"""What the benchmarks share: percentiles as BENCHMARKS.md reports them."""

from __future__ import annotations

import statistics
import unicodedata


def percentile(values: list[float], fraction: float) -> float:
    """The value at ``fraction`` of the sorted values (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    """Count, p50, p95 and max, rounded to 0.01."""
    return {
        "count": len(values),
        "p50": round(statistics.median(values), 2),
        "p95": round(percentile(values, 0.95), 2),
        "max": round(max(values), 2),
    }


def unaccented(value: str) -> str:
    """``value`` in lower case without its accents: a name as typed in a hurry."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()

"""Measuring Portique: verification accuracy on datasets, with ISO/IEC 19795-1 metrics."""

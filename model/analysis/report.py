"""The comparison report, now :mod:`model.analysis.compare.report`; this module re-exports it
for the code that still imports it from here."""

from model.analysis.compare.report import (
    Report,
    build_report,
    lever_differences,
    provenance,
    write_report,
)

__all__ = ["Report", "build_report", "lever_differences", "provenance", "write_report"]

"""The overview figure of one scenario's replicates, now in :mod:`model.analysis.compare.figures`;
this module re-exports it for the code that still imports it from here."""

from model.analysis.compare.figures import PANELS, overview_figure
from model.analysis.compare.names import label

__all__ = ["PANELS", "label", "overview_figure"]

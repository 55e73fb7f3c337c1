"""Names of the model's entities that other layers need without importing Mesa."""

from __future__ import annotations

FORCES: tuple[str, ...] = ("ARMY", "CTS", "FEDERAL_POLICE", "PMF", "TRIBAL", "PESHMERGA")
"""Iraqi and Kurdish force types, in the order of every force-indexed array."""

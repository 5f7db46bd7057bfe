"""Repair: arrange items on a shelf by instructions, noticing and repairing misunderstandings (``repair-v2``).

The game card is the docstring of :class:`Repair`.
"""

from .episode import RepairEpisode
from .game import Repair

__all__ = ["Repair", "RepairEpisode"]

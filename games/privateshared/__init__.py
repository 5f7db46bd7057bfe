"""privateshared: a slot-filling dialogue with common-ground probes (``privateshared-v2``).

The game card is the docstring of :class:`PrivateShared`.
"""

from .dialogue import PrivateSharedEpisode
from .game import PrivateShared
from .scenarios import Form, Scenario, Slot, load_scenarios

__all__ = ["Form", "PrivateShared", "PrivateSharedEpisode", "Scenario", "Slot", "load_scenarios"]

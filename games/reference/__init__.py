"""Reference: describe a target object in a scene so a listener picks it, or pick it from a description
(``reference-v2``).

The game card is the docstring of :class:`Reference`. The listener's vocabulary ships as ``vocabulary.json``.
"""

from .game import Reference
from .scene import Description, parse_description
from .state import ReferenceEpisode

__all__ = ["Description", "Reference", "ReferenceEpisode", "parse_description"]

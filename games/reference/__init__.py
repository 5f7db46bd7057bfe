"""Reference: describe a target object in a scene so a listener picks it, or pick it from a description
(``reference-v1``).

The game card is the docstring of :class:`Reference`. The listener's vocabulary ships as ``vocabulary.json``.
"""

from .game import Reference, ReferenceEpisode
from .scene import Description, parse_description

__all__ = ["Description", "Reference", "ReferenceEpisode", "parse_description"]

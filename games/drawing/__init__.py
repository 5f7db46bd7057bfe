"""Drawing: an instructor talks a drawer into copying a hidden 5x5 letter picture (``drawing-v2``).

The game card is the docstring of :class:`Drawing`. The command grammar the drawer understands is in
:mod:`.commands`; the teacher instructor's policy in :mod:`.planner`.
"""

from .game import Drawing, DrawingEpisode

__all__ = ["Drawing", "DrawingEpisode"]

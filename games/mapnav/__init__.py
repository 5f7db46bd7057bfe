"""mapnav: guide a follower through a house of rooms to a target room, or follow such guidance (``mapnav-v2``).

The game card is the docstring of :class:`MapNav`.
"""

from .game import MapNav
from .language import Resolution, Step, parse_steps, resolve
from .maps import House, View
from .navigation import MapNavEpisode

__all__ = ["House", "MapNav", "MapNavEpisode", "Resolution", "Step", "View", "parse_steps", "resolve"]

"""Negotiation: a cooperative deal-or-no-deal over books, hats and balls (``negotiation-v2``).

The game card is the docstring of :class:`Negotiation`; the teacher's policy and belief tracker is
:class:`Negotiator`, the rules by which it reads free text are in :mod:`.talk`, the instances in
:mod:`.generator`, the scorer in :mod:`.scoring` and the cheap policies that attack the game in
:mod:`.attacks`.
"""

from .game import Negotiation, NegotiationEpisode
from .generator import LEVELS, Level
from .moves import Move, parse_move
from .talk import Comparison, Reading, read
from .teacher import Negotiator

__all__ = ["LEVELS", "Comparison", "Level", "Move", "Negotiation", "NegotiationEpisode", "Negotiator",
           "Reading", "parse_move", "read"]

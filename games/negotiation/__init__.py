"""Negotiation: a cooperative deal-or-no-deal over books, hats and balls (``negotiation-v1``).

The game card is the docstring of :class:`Negotiation`; the teacher's policy is :class:`Negotiator`, and
the rules by which it reads free text are in :mod:`.talk`.
"""

from .game import LEVELS, Level, Negotiation, NegotiationEpisode
from .moves import Move, parse_move
from .talk import Comparison, Reading, read
from .teacher import Negotiator

__all__ = ["LEVELS", "Comparison", "Level", "Move", "Negotiation", "NegotiationEpisode", "Negotiator",
           "Reading", "parse_move", "read"]

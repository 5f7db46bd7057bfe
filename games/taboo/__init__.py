"""Taboo: describe a secret noun without its taboo words, or guess it from clues (``taboo-v2``).

The game card is the docstring of :class:`Taboo`. The teacher guesser ranks candidate words with a
sentence-embedding model (:mod:`.embedding`, extra ``playschool[taboo]``), loaded only when first needed.
"""

from .embedding import Embedder, MiniLMEmbedder, default_embedder
from .game import Taboo
from .listener import Decision, Listener
from .play import TabooEpisode

__all__ = ["Decision", "Embedder", "Listener", "MiniLMEmbedder", "Taboo", "TabooEpisode", "default_embedder"]

"""The PlaySchool arena: a Gradio Space to play games against the teacher, watch models play, browse
transcripts, submit CLU2 results (re-scored by replay) or request a model evaluation, and see the leaderboard.

The folder is both the Hugging Face Space (``app.py``, ``requirements.txt``, ``README.md``) and the package
``playschool.arena`` (so ``playschool space`` and ``playschool space worker`` run the same code the Space does).
"""

from .config import ArenaConfig

__all__ = ["ArenaConfig"]

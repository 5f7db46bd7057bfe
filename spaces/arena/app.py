"""The arena Space's entry point (Hugging Face runs ``python app.py``).

The Space installs the project pinned at a release (``requirements.txt``), so this file only reads the settings
from ``PLAYSCHOOL_ARENA_*`` variables (see ``playschool.arena.config``) and launches. Locally:
``playschool space`` does the same with flags.
"""

from playschool.arena.config import ArenaConfig
from playschool.arena.launch import launch

if __name__ == "__main__":
    launch(ArenaConfig.from_env(), host="0.0.0.0", port=7860)

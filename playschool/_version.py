"""The package version: the one place it is written.

``pyproject.toml`` reads it (``[tool.setuptools.dynamic]``), ``playschool.__version__`` and the run manifest
re-export it, and ``tools/release.py check`` holds the CHANGELOG, CITATION.cff and the Spaces' pins to it.
"""

__version__ = "0.2.0"

"""``python -m playschool``: the same CLI as the ``playschool`` command (workers spawn it with the running
interpreter, so the evaluation uses the environment the worker was started in)."""

import sys

from playschool.cli import main

sys.exit(main())

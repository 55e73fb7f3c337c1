"""``python -m model``: the ``stabsim`` command."""

import sys

from model.cli import main

sys.exit(main())

"""``python -m model.cli``: the stabsim command."""

import sys

from model.cli import main

sys.exit(main())

"""`python -m bot` does what the `rankfile` command does."""

import sys

from bot.cli import main

sys.exit(main())

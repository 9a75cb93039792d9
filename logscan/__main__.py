"""``python -m logscan``: the same command as ``logscan`` (where only the module is known)."""

import sys

from logscan.cli.main import main

sys.exit(main())

"""``python -m pymodel ...``: see :mod:`pymodel.cli`."""

import sys

from pymodel.cli import main

sys.exit(main())

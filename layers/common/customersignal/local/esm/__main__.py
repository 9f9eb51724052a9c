"""``python -m customersignal.local.esm``: see ``customersignal.local.esm.cli``."""

import sys

from customersignal.local.esm.cli import main

sys.exit(main())

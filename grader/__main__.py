"""``python -m grader`` runs the ``kports`` command line."""

import sys

from grader.cli import main

sys.exit(main())

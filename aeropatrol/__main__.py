"""`python -m aeropatrol` is the same as the `aeropatrol` command."""
import sys

from aeropatrol.cli import main

sys.exit(main())

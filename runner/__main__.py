"""`python -m runner DEMO [options]`: see runner.run."""
import sys

from runner.run import main

sys.exit(main())

"""Alert action `mimecast_containment_sweep`: releases expired containments (scheduled) or reverts a run."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))

from splunk_app.splunk.alert_action import main

if __name__ == "__main__":
    sys.exit(main("mimecast_containment_sweep", "sweep", sys.argv, sys.stdin))

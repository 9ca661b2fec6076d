"""Alert action `mimecast_remove_from_group`: splunkd runs it with --execute and the JSON payload on stdin."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))

from splunk_app.splunk.alert_action import main

if __name__ == "__main__":
    sys.exit(main("mimecast_remove_from_group", "remove", sys.argv, sys.stdin))

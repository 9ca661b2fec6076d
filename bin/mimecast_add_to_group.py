"""Alert action `mimecast_add_to_group`: splunkd runs it with --execute and the JSON payload on stdin."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))

from splunk_app.splunk.alert_action import main

if __name__ == "__main__":
    sys.exit(main("mimecast_add_to_group", "add", sys.argv, sys.stdin))

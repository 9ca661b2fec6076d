"""Modular input mimecast_at_performance_summary: splunkd runs this; the work is in
splunk_app.splunk.modinput."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from splunk_app.splunk.modinput import main

if __name__ == "__main__":
    sys.exit(main("mimecast_at_performance_summary"))

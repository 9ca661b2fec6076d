"""splunkd runs this for `| mimecastrisk` (commands.conf); the work is in splunk_app.splunk.search_command."""

import os
import sys

APP_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(APP_ROOT, "lib"))

from splunk_app.splunk.search_command import main  # noqa: E402

main(APP_ROOT)

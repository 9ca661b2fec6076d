"""Mimecast Awareness Training for Splunk: every piece of the add-on's logic, importable without Splunk."""

__version__ = "1.0.0"
APP_ID = "TA-mimecast-awareness"
USER_AGENT = f"{APP_ID}/{__version__}"

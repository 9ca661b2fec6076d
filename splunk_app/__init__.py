"""Mimecast Awareness Training for Splunk: every piece of the add-on's logic, importable without Splunk."""

__version__ = "1.1.0"
APP_ID = "TA-mimecast-awareness"
USER_AGENT = f"{APP_ID}/{__version__}"
# The capability every change to the add-on's configuration (accounts, proxy, logging, inputs) needs: shipped
# in default/authorize.conf to the add-on's admin role and Splunk's admin, required in globalConfig.json.
ADMIN_CAPABILITY = "edit_mimecast_awareness"

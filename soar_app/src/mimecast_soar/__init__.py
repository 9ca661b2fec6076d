"""The SOAR app's own work, as plain functions over the add-on's Mimecast client and identity rules; the
SDK's types stay in app.py."""

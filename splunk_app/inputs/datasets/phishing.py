"""phishing get-campaign, then phishing get-user-data per campaign: one event per phishing campaign and one
per user result."""

from __future__ import annotations

from splunk_app.inputs.datasets.campaign import declare

DATA_SET = declare(
    "phishing",
    "Phishing campaigns and user results",
    ("phishing_campaigns", "phishing_user_data"),
    (
        ("mimecast:awareness:phishing_campaign", "one phishing campaign (phishing get-campaign)"),
        (
            "mimecast:awareness:phishing_result",
            "one user's result in a phishing campaign (phishing get-user-data)",
        ),
    ),
    (("sent", "Sent"), ("opened", "Opened"), ("clicked", "Clicked"), ("submitted", "Submitted")),
)

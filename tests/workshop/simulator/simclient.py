"""A plain HTTP client for tests of the simulated tenant: requests, and its own API 1.0 signing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from email.utils import formatdate
from typing import Any

import requests

from devkit.simulator import SimulatedTenant

AT = "/api/awareness-training"
DETAILS = f"{AT}/company/get-safe-score-details"
SUMMARY = f"{AT}/company/get-safe-score-summary"
WATCHLIST = f"{AT}/company/get-watchlist-details"
PERFORMANCE = f"{AT}/company/get-performance-details"
TRAINING = f"{AT}/user/get-training-details"
QUEUE = f"{AT}/queue/get-queue"
CAMPAIGNS = f"{AT}/campaign/get-campaigns"
CAMPAIGN_USERS = f"{AT}/campaign/get-user-data"
PHISHING = f"{AT}/phishing/campaign/get-campaign"
PHISHING_USERS = f"{AT}/phishing/campaign/get-user-data"
FIND_GROUPS = "/api/directory/find-groups"
ADD_MEMBER = "/api/directory/add-group-member"
REMOVE_MEMBER = "/api/directory/remove-group-member"


class Api:
    """A minimal client: one session, a bearer token or API 1.0 signature per request."""

    def __init__(self, tenant: SimulatedTenant, mode: str = "oauth2") -> None:
        self.tenant, self.mode = tenant, mode
        self.session = requests.Session()
        self._token: str | None = None

    def token(self, client_id: str | None = None, client_secret: str | None = None) -> requests.Response:
        """Asks for a token (the tenant's own credentials unless given) and keeps it if one came."""
        keys = self.tenant.keys
        response = self.session.post(
            f"{self.tenant.base_url}/oauth/token",
            data={
                "client_id": keys.client_id if client_id is None else client_id,
                "client_secret": keys.client_secret if client_secret is None else client_secret,
                "grant_type": "client_credentials",
            },
            timeout=10,
        )
        if response.status_code == 200:
            self._token = response.json()["access_token"]
        return response

    def headers(self, path: str, **overrides: str) -> dict[str, str]:
        if self.mode == "oauth2":
            if self._token is None:
                self.token()
            return {"Authorization": f"Bearer {self._token}"}
        keys = self.tenant.keys
        date, request_id = formatdate(usegmt=True).replace("GMT", "UTC"), str(uuid.uuid4())
        secret = overrides.get("secret_key", keys.secret_key)
        app_key = overrides.get("app_key", keys.app_key)
        message = f"{date}:{request_id}:{path}:{app_key}".encode()
        digest = hmac.new(base64.b64decode(secret), message, hashlib.sha1).digest()
        signature = base64.b64encode(digest).decode()
        return {
            "x-mc-date": date,
            "x-mc-req-id": request_id,
            "x-mc-app-id": overrides.get("app_id", keys.app_id),
            "Authorization": f"MC {overrides.get('access_key', keys.access_key)}:{signature}",
        }

    def raw(self, path: str, data: Any = None, meta: Any = None, **overrides: str) -> requests.Response:
        body: dict[str, Any] = {"data": [] if data is None else data}
        if meta is not None:
            body["meta"] = meta
        return self.session.post(
            self.tenant.base_url + path, json=body, headers=self.headers(path, **overrides), timeout=30
        )

    def post(
        self, path: str, data: Any = None, page_size: int | None = None, token: str | None = None
    ) -> dict[str, Any]:
        pagination: dict[str, Any] = {}
        if page_size:
            pagination["pageSize"] = page_size
        if token:
            pagination["pageToken"] = token
        response = self.raw(path, data, {"pagination": pagination} if pagination else None)
        assert response.status_code == 200, response.text
        return response.json()

    def pages(self, path: str, data: Any = None, page_size: int = 100) -> list[dict[str, Any]]:
        """Every page's body, following meta.pagination.next."""
        bodies, token = [], None
        while True:
            body = self.post(path, data, page_size, token)
            bodies.append(body)
            token = body["meta"].get("pagination", {}).get("next")
            if not token:
                return bodies

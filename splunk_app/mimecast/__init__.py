"""The Mimecast API client: authentication, transport, retries, rate limits, pagination, endpoint shapes.

It knows nothing about Splunk (a test makes sure no module here imports splunklib).
"""

from splunk_app.mimecast.auth import HmacCredentials, OAuth2Credentials
from splunk_app.mimecast.client import Client, Page
from splunk_app.mimecast.endpoints import ENDPOINTS
from splunk_app.mimecast.errors import (
    Api1Only,
    ApiError,
    BadCredentials,
    InsecureUrl,
    KeysExpired,
    MalformedResponse,
    MimecastError,
    MissingPermission,
    NetworkError,
    OutOfTime,
    ProxyError,
    RateLimited,
    TlsError,
    TooLarge,
)
from splunk_app.mimecast.transport import Limits, Proxy

__all__ = [
    "ENDPOINTS",
    "Api1Only",
    "ApiError",
    "BadCredentials",
    "Client",
    "HmacCredentials",
    "InsecureUrl",
    "KeysExpired",
    "Limits",
    "MalformedResponse",
    "MimecastError",
    "MissingPermission",
    "NetworkError",
    "OAuth2Credentials",
    "OutOfTime",
    "Page",
    "Proxy",
    "ProxyError",
    "RateLimited",
    "TlsError",
    "TooLarge",
]

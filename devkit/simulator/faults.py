"""Faults a test asks the tenant to inject: counted per request, never random.

Count fields (`server_errors=2`) hit the next N requests that match `path` (default: every /api/ request;
set it to reach /oauth/token too), after skipping the first `after` matching requests; each injected fault
uses up one, and the tenant's `faults` object shows what is left. Flag fields (`odd_dates=True`) change
every response while they are set.
"""

from __future__ import annotations

from dataclasses import dataclass

from devkit.simulator.records import Style

# The count faults, in the order one request takes them when several are set.
COUNTED = (
    "binding_expired",
    "developer_key_fail",
    "missing_permission",
    "token_expiry",
    "rate_limit_storm",
    "server_errors",
    "malformed_json",
    "cut_responses",
    "lost_answers",
)


@dataclass
class Faults:
    server_errors: int = 0  # HTTP server_error_status with a fail[] body
    server_error_status: int = 500
    rate_limit_storm: int = 0  # HTTP 429, X-RateLimit-Remaining 0, Reset storm_reset_ms
    storm_reset_ms: int = 200
    slow_requests: int = 0  # answered after slow_seconds (on top of any other fault)
    slow_seconds: float = 0.5
    cut_responses: int = 0  # full Content-Length, half the body, connection closed
    lost_answers: int = 0  # the call is applied, then answered with HTTP server_error_status all the same
    malformed_json: int = 0  # HTTP 200 with a body that is not JSON
    token_expiry: int = 0  # bearer requests: 401 token_expired, and the token really ends
    developer_key_fail: int = 0  # HTTP 200 with fail[] err_developer_key
    missing_permission: int = 0  # HTTP 403 err_xdk_client_forbidden
    binding_expired: int = 0  # HTTP 418 err_xdk_binding_expired
    missing_pagination: bool = False  # responses without meta.pagination
    lost_next_page: bool = False  # meta.pagination keeps totalCount but not next: the answer stops short
    odd_dates: bool = False  # both date formats; 1970-01-01 instead of null for "never"
    odd_spellings: bool = False  # training details spelled watchedData / onWatchlist / myAsnwer
    empty_grades: bool = False  # every 5th user's component grades and every 10th user's risk ''
    mixed_case_emails: bool = False  # emails in mixed and upper case
    odd_values: bool = (
        False  # every 7th user's risk "E" (no policy names it), knowledge a formula, watchlistCount "many"
    )
    path: str | None = None  # count faults only for requests whose path ends with this
    after: int = 0  # let this many matching requests through first

    def style(self) -> Style:
        return Style(
            odd_dates=self.odd_dates,
            odd_spellings=self.odd_spellings,
            empty_grades=self.empty_grades,
            mixed_case_emails=self.mixed_case_emails,
            odd_values=self.odd_values,
        )

    def take(self, path: str, bearer: bool) -> tuple[str | None, float]:
        """Uses up the fault (if any) that this request gets, and the delay before answering it.

        The caller holds the tenant's lock. `bearer` says whether token expiry can apply.
        """
        if self.path is None:
            if not path.startswith("/api/"):
                return None, 0.0
        elif not path.endswith(self.path):
            return None, 0.0
        if self.after > 0:
            self.after -= 1
            return None, 0.0
        delay = 0.0
        if self.slow_requests > 0:
            self.slow_requests -= 1
            delay = self.slow_seconds
        for name in COUNTED:
            if getattr(self, name) > 0 and (name != "token_expiry" or bearer):
                setattr(self, name, getattr(self, name) - 1)
                return name, delay
        return None, delay

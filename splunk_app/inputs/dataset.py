"""What one data set is: everything that varies between Mimecast's Awareness Training endpoints, in one
declaration that the runner, splunkd's scheme, the Inputs page and the tests all read."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Callable

from splunk_app.inputs.events import Event, user_key
from splunk_app.inputs.settings import COMMON, RISK_TABLE_SYNC, Setting
from splunk_app.risk.sync import RiskColumns

# How the runner walks a data set's pages (see runner.py):
USERS = "users"  # a paged snapshot of the tenant's users; may feed the risk table
RECORDS = "records"  # a list of records, paged or in one answer
CAMPAIGNS = "campaigns"  # a paged list of campaigns, then each campaign's paged user results
PER_USER = "per_user"  # one request per user, a share of the users per run
LOOPS = (USERS, RECORDS, CAMPAIGNS, PER_USER)

Values = Mapping[str, Any]


def no_request(values: Values) -> list[Any] | None:
    """No request data: the endpoint is asked for everything."""
    return None


def empty_request(values: Values) -> list[Any] | None:
    """Mimecast documents `data: []` for these endpoints."""
    return []


def unfiltered(values: Values) -> bool:
    return False


@dataclass(frozen=True)
class Results:
    """The second level of a campaign data set: each campaign's user results."""

    endpoint: str
    shape: Callable[[dict[str, Any], dict[str, Any], Any], Iterator[Event]]  # (campaign, record, snapshot)
    statuses: str  # the setting that filters the results by status


@dataclass(frozen=True)
class DataSet:
    """One Awareness Training data set. `shape` turns a record into its events: (record, snapshot), or for
    the per-user loop (email, record, snapshot). `key` names a record in the checkpoint. `filtered` says
    when a run's settings make its snapshot less than the whole tenant (then nobody counts as departed)."""

    name: str
    title: str
    loop: str
    endpoint: str
    sourcetypes: Mapping[str, str]  # sourcetype -> what one of its events is
    shape: Callable[..., Iterator[Event]]
    settings: tuple[Setting, ...] = ()
    key: Callable[[dict[str, Any]], str] = user_key
    request: Callable[[Values], list[Any] | None] = no_request
    paged: bool = True
    results: Results | None = None
    risk: RiskColumns | None = None
    filtered: Callable[[Values], bool] = unfiltered

    def __post_init__(self) -> None:
        if self.loop not in LOOPS:
            raise ValueError(f"data set {self.name}: loop must be one of {', '.join(LOOPS)}")
        if (self.loop == CAMPAIGNS) != (self.results is not None):
            raise ValueError(f"data set {self.name}: campaign data sets, and only they, have results")

    @property
    def input_type(self) -> str:
        return f"mimecast_at_{self.name}"

    @property
    def all_settings(self) -> tuple[Setting, ...]:
        """The input's every setting, in form order: the common ones first."""
        return (*COMMON, *self.settings, *((RISK_TABLE_SYNC,) if self.risk else ()))

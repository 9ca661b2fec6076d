"""Every data set the add-on pulls, by input type. Adding one: a module in datasets/, a line here, a bin/
script and its props, eventtypes and tags stanzas."""

from __future__ import annotations

from splunk_app.inputs.dataset import DataSet
from splunk_app.inputs.datasets import (
    campaign,
    performance,
    performance_summary,
    phishing,
    queue,
    safe_score,
    safe_score_summary,
    training,
    watchlist,
    watchlist_summary,
)

CATALOGUE: dict[str, DataSet] = {
    module.DATA_SET.input_type: module.DATA_SET
    for module in (
        safe_score,
        safe_score_summary,
        watchlist,
        watchlist_summary,
        performance,
        performance_summary,
        training,
        queue,
        campaign,
        phishing,
    )
}
SOURCETYPES = {
    sourcetype: what for data_set in CATALOGUE.values() for sourcetype, what in data_set.sourcetypes.items()
}


def by_name(name: str) -> DataSet:
    """A data set by its name (`safe_score`) or its input type (`mimecast_at_safe_score`)."""
    found = CATALOGUE.get(name) or CATALOGUE.get(f"mimecast_at_{name}")
    if found is None:
        known = ", ".join(data_set.name for data_set in CATALOGUE.values())
        raise KeyError(f"no data set {name!r}; known: {known}")
    return found

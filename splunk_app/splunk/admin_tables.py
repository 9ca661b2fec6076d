"""Where the tables an administrator edits live, so that an app upgrade keeps them.

An upgrade (Splunk Web, a deployment server, a search head cluster's deployer) puts the package's own files
back in the app's lookups/ folder, so edits there are lost. The administrator's alias table and risk policy
rows are KV store collections instead, which no upgrade touches; the shipped CSV files are the defaults:

- aliases: the collection `mimecast_identity_aliases` when it holds any row, else the CSV
  `mimecast_identity_aliases.csv` (shipped empty; on the indexers, the copy a saved search writes);
- risk policy: the shipped table, with the collection `mimecast_risk_policy`'s rows in place of the shipped
  rows for the same grade and watch-list status, as the SPL macro `mimecast_awareness_risk_policy` reads them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any

from splunklib import client

from splunk_app.risk.identity import (
    ALIAS_COLUMNS,
    ALIAS_FILE,
    MAX_ALIAS_ROWS,
    Aliases,
    aliases_from_rows,
)
from splunk_app.risk.policy import (
    MAX_ROWS,
    POLICY_FILE,
    Policy,
    PolicyError,
    enforce,
    shipped,
    with_changes,
)
from splunk_app.risk.prepared import prepared_aliases
from splunk_app.splunk import kvstore
from splunk_app.splunk.service import SplunkdError

ALIAS_COLLECTION = "mimecast_identity_aliases"
POLICY_COLLECTION = "mimecast_risk_policy"


def load_aliases(
    service: client.Service | None,
    app_root: str | os.PathLike[str],
    warn: Callable[[str], None],
    cache: Path | None = None,
) -> Aliases:
    """The alias table: the administrator's collection when it holds any row (read with `service`), the
    CSV in the app's lookups/ folder otherwise or without a service (with a `cache` folder, from its
    prepared form). A collection that cannot be read is one warning, and the CSV is used."""
    if service is not None:
        where = f"the KV store collection {ALIAS_COLLECTION}"
        try:
            rows = list(
                islice(kvstore.read(service, ALIAS_COLLECTION, fields=ALIAS_COLUMNS), MAX_ALIAS_ROWS + 1)
            )
        except kvstore.CollectionMissing:
            rows = []
        except SplunkdError as err:
            warn(f"{where} cannot be read ({_why(err)}); the aliases of {ALIAS_FILE} are used")
            rows = []
        if rows:
            return aliases_from_rows(rows, lambda text: warn(text.replace(ALIAS_FILE, where)))
    return prepared_aliases(Path(app_root) / "lookups" / ALIAS_FILE, warn, cache)


def load_policy(service: client.Service) -> Policy:
    """The risk policy in force, which this process follows from now on (`policy.in_force`): the shipped
    table with the administrator's rows from the collection. A row the SPL lookup would not match as Python
    does, or a policy that is incomplete, stops the caller with a message naming the row."""
    where = f"the KV store collection {POLICY_COLLECTION}"
    try:
        # Every column is read, not only COLUMNS: a column the policy gains later reaches its reader too.
        rows = list(islice(kvstore.read(service, POLICY_COLLECTION), MAX_ROWS + 1))
    except kvstore.CollectionMissing:
        rows = []
    for number, row in enumerate(rows, start=2):
        _check_as_spl_reads_it(row, f"{where} row {number}")
    policy = with_changes(shipped(), rows, where) if rows else shipped()
    enforce(policy, _digest(rows))
    return policy


def follow_policy(service: client.Service, warn: Callable[[str], None]) -> Policy:
    """`load_policy` for a writer that must not stop over it (the inputs, before they store priorities or
    pick whom to train): a collection that cannot be read or a row that cannot be used is one warning, and
    the shipped table is followed for this run."""
    try:
        return load_policy(service)
    except (SplunkdError, PolicyError) as err:
        reason = err if isinstance(err, PolicyError) else _why(err)
        warn(
            f"the risk policy's administrator rows ({POLICY_COLLECTION}) cannot be used ({reason}); this run "
            f"follows the shipped {POLICY_FILE}"
        )
        enforce(shipped(), "")
        return shipped()


def _check_as_spl_reads_it(row: dict[str, Any], where: str) -> None:
    """A KV store lookup matches case and spaces exactly: the macro looks grades up in capitals (UNKNOWN for
    none) and the watch list as true or false, so a row written otherwise would be Python's and not SPL's."""
    grade, listed = str(row.get("grade") or ""), str(row.get("watchlist") or "")
    if grade != grade.strip().upper() or listed not in ("true", "false"):
        raise PolicyError(
            f"{where}: write grade in capitals ({grade.strip().upper()!r}; UNKNOWN for no grade) and "
            "watchlist as true or false, as the searches look them up"
        )


def _digest(rows: list[dict[str, Any]]) -> str:
    """What identifies the administrator's rows (their columns and values, whatever their order)."""
    if not rows:
        return ""
    kept = [sorted((str(k), str(v)) for k, v in row.items() if not str(k).startswith("_")) for row in rows]
    text = json.dumps(sorted(json.dumps(row) for row in kept))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _why(err: SplunkdError) -> str:
    status = getattr(err, "status", None)
    return f"splunkd answered {status}" if status else type(err).__name__

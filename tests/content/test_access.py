"""Need to know: who may read the human-risk data, and who may change the add-on's configuration."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from splunk_app import ADMIN_CAPABILITY

from . import spl

ROOT = Path(__file__).resolve().parents[2]
META = spl.read_conf(ROOT / "metadata" / "default.meta")
AUTHORIZE = spl.conf("authorize.conf")
CONFIG = json.loads((ROOT / "globalConfig.json").read_text())
ANALYST, ADMIN = "mimecast_awareness_analyst", "mimecast_awareness_admin"
SPLUNK_ADMINS = {"admin", "sc_admin"}
# What describes the sourcetypes (no personal data) is the only thing every role may read.
SHARED_WITH_ALL = {"props", "eventtypes", "tags", "macros"}
# Human-risk data and what reads or acts on it: the two roles and Splunk's admins, nobody else.
PERSONAL = (
    "collections/mimecast_user_risk",
    "transforms/mimecast_user_risk",
    "transforms/mimecast_user_risk_csv",
    "lookups/mimecast_user_risk.csv",
    "transforms/mimecast_es_identities",
    "lookups/mimecast_es_identities.csv",
    "commands/mimecastrisk",
    "collections/mimecast_identity_aliases",
    "transforms/mimecast_identity_aliases",
    "transforms/mimecast_identity_aliases_csv",
    "lookups/mimecast_identity_aliases.csv",
)
ADMINISTRATORS_ONLY = (
    "alert_actions",
    "ta_mimecast_awareness_account",
    "ta_mimecast_awareness_settings",
    "collections/mimecast_containment",
    "transforms/mimecast_containment",
    "collections/mimecast_containment_ledger",
)


def roles(stanza: str, right: str) -> set[str]:
    """The roles a default.meta stanza (or, when it says nothing, the default stanza) grants `right`."""
    access = META.get(stanza, {}).get("access") or META[""]["access"]
    found = re.search(rf"{right}\s*:\s*\[([^\]]*)\]", access)
    assert found, f"[{stanza}] access grants no {right}"
    return {role.strip() for role in found.group(1).split(",")}


def test_the_default_is_the_two_roles_and_not_exported() -> None:
    assert roles("", "read") == SPLUNK_ADMINS | {ADMIN, ANALYST}
    assert META[""].get("export") == "none"


@pytest.mark.parametrize("stanza", PERSONAL)
def test_human_risk_data_is_read_only_by_the_two_roles_and_admins(stanza: str) -> None:
    assert stanza in META, f"default.meta does not name {stanza}"
    assert roles(stanza, "read") == SPLUNK_ADMINS | {ADMIN, ANALYST}
    assert ANALYST not in roles(stanza, "write")


@pytest.mark.parametrize("stanza", ADMINISTRATORS_ONLY)
def test_accounts_proxy_and_actions_are_for_administrators(stanza: str) -> None:
    assert stanza in META, f"default.meta does not name {stanza}"
    assert roles(stanza, "read") == SPLUNK_ADMINS | {ADMIN}


def test_every_lookup_of_transforms_conf_is_named() -> None:
    for stanza in spl.conf("transforms.conf"):
        assert f"transforms/{stanza}" in META, f"default.meta does not name transforms/{stanza}"


def test_no_lookup_reaches_the_containment_ledger() -> None:
    """outputlookup writes only through a lookup definition: with none, a copy of an earlier containment
    record can be put back into mimecast_containment, but the ledger that tells it is old stays as it is."""
    assert "mimecast_containment_ledger" in spl.conf("collections.conf")
    collections = {stanza.get("collection") for stanza in spl.conf("transforms.conf").values()}
    assert "mimecast_containment_ledger" not in collections


def test_no_stanza_shares_anything_else_with_every_role() -> None:
    for stanza in META:
        if "*" in roles(stanza, "read"):
            assert stanza in SHARED_WITH_ALL, f"[{stanza}] is readable by every role"
        assert "*" not in roles(stanza, "write"), stanza


def test_the_two_roles_ship_and_only_the_admin_role_may_change_the_configuration() -> None:
    assert f"capability::{ADMIN_CAPABILITY}" in AUTHORIZE
    analyst, admin = AUTHORIZE[f"role_{ANALYST}"], AUTHORIZE[f"role_{ADMIN}"]
    assert analyst.get("srchIndexesAllowed") == "mimecast"
    assert ADMIN_CAPABILITY not in analyst
    assert admin.get("importRoles") == ANALYST
    assert admin.get(ADMIN_CAPABILITY) == "enabled"
    assert AUTHORIZE["role_admin"].get(ADMIN_CAPABILITY) == "enabled"
    assert "admin_all_objects" not in admin and "importRoles" not in AUTHORIZE["role_admin"]


@pytest.mark.parametrize("page", ["configuration", "inputs"])
def test_every_change_to_configuration_and_inputs_needs_the_capability(page: str) -> None:
    capabilities = CONFIG["pages"][page]["capabilities"]
    assert {capabilities[method] for method in ("post", "put", "delete")} == {ADMIN_CAPABILITY}


def test_reading_account_and_proxy_settings_needs_the_capability_too() -> None:
    assert CONFIG["pages"]["configuration"]["capabilities"]["get"] == ADMIN_CAPABILITY


# What runs on a schedule (the containment sweep runs ownerless, as splunk-system-user) and what dashboards
# show: the add-on's admin role may read them, only Splunk's administrators may change them.
SPLUNK_ADMINS_WRITE = ("savedsearches", "views")


@pytest.mark.parametrize("category", SPLUNK_ADMINS_WRITE)
def test_only_splunk_admins_may_change_saved_searches_and_dashboards(category: str) -> None:
    assert category in META, f"default.meta does not name [{category}]"
    assert roles(category, "write") == SPLUNK_ADMINS
    assert roles(category, "read") == SPLUNK_ADMINS | {ADMIN, ANALYST}
    for stanza in META:
        if stanza.startswith(category + "/"):
            assert roles(stanza, "write") <= SPLUNK_ADMINS, f"[{stanza}] lets another role change it"


def test_the_sweep_is_scheduled_ownerless_and_no_object_names_an_owner() -> None:
    """An owner named in default.meta that does not exist on an instance orphans the search: the scheduler
    skips it, and a sweep that never runs keeps every containment for good."""
    sweep = spl.conf("savedsearches.conf")["Mimecast Awareness - Containment sweep"]
    assert sweep.get("enableSched") == "1" and sweep.get("disabled", "0") == "0"
    assert sweep.get("action.mimecast_containment_sweep") == "1"
    assert [stanza for stanza, fields in META.items() if "owner" in fields] == []


def test_the_admin_role_holds_no_capability_that_reaches_around_the_acls() -> None:
    admin = AUTHORIZE[f"role_{ADMIN}"]
    for capability in ("admin_all_objects", "schedule_rtsearch", "edit_roles", "change_authentication"):
        assert capability not in admin, capability

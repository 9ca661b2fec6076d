"""The groups an account's actions may change: the "Groups the actions may change" field of the add-on's
account and of the SOAR app's asset, parsed from its free text and checked before anything changes. One
rule for both products, in plain Python (the SOAR app has no splunklib); each caller says where its field
is edited."""

from __future__ import annotations

import re

FIELD = "groups_allowed"
LABEL = "Groups the actions may change"
# globalConfig.json bounds the add-on's field the same way (tests/content checks that it does).
MAX_GROUPS = 100
MAX_GROUP_CHARS = 255
MAX_FIELD_CHARS = 8192
SHOWN = 5  # groups a refusal names before it counts the rest
_SEPARATORS = re.compile(r"[,\r\n]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class GroupsError(ValueError):
    """The field is not a list of groups; the message names whose field it is and what is wrong."""


def parse(text: object, owner: str) -> tuple[str, ...]:
    """The groups the field names (names or ids, one a line or separated by commas): each once in any
    case, in the order given; () allows any group. Bounded, since the field is free text. `owner` names
    whose field it is in errors ("Mimecast account 'prod'", "the asset")."""
    value = str(text or "")
    where = f"{owner}: {LABEL}"
    if len(value) > MAX_FIELD_CHARS:
        raise GroupsError(f"{where} is longer than {MAX_FIELD_CHARS:,} characters")
    groups: dict[str, str] = {}
    for part in _SEPARATORS.split(value):
        group = part.strip()
        if not group:
            continue
        if len(group) > MAX_GROUP_CHARS or _CONTROL.search(group):
            raise GroupsError(
                f"{where} holds {group[:40]!r}, which is not a group name or id (at most {MAX_GROUP_CHARS} "
                "characters, no control characters)"
            )
        groups.setdefault(group.casefold(), group)
    if len(groups) > MAX_GROUPS:
        raise GroupsError(f"{where} names more than {MAX_GROUPS} groups")
    return tuple(groups.values())


def refusal(allowed: tuple[str, ...], name: str, group_id: str, account: str) -> str:
    """Why the account may not change this group, in one line; "" when it may (an empty list allows any
    group; a group is allowed by its name in any case or by its id)."""
    if not allowed or {name.casefold(), group_id.casefold()} & {one.strip().casefold() for one in allowed}:
        return ""
    shown = ", ".join(repr(entry) for entry in allowed[:SHOWN])
    more = f" and {len(allowed) - SHOWN} more" if len(allowed) > SHOWN else ""
    return (
        f"account {account!r} may change only the groups {shown}{more}, not {name!r}: acted on none. Choose "
        f"an allowed group, or ask an administrator to add it to {LABEL}"
    )

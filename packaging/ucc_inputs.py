"""The Inputs page of globalConfig.json and default/inputs.conf, written from the data-set catalogue.

The build calls these, so the form an administrator fills in, the defaults splunkd applies and the settings
the input parses can never disagree: each is read from the one declaration of each data set.
"""

from __future__ import annotations

import re
from typing import Any

from splunk_app.inputs.catalogue import CATALOGUE
from splunk_app.inputs.dataset import DataSet
from splunk_app.inputs.settings import Setting
from splunk_app.splunk import audit

PYTHON_KEYS = {"python.version": "python3", "python.required": "3.9, 3.13"}
NAME = {
    "type": "text",
    "label": "Name",
    "field": "name",
    "required": True,
    "help": "A unique name for this input.",
    "validators": [
        {
            "type": "regex",
            "pattern": r"^[a-zA-Z]\w*$",
            "errorMsg": "Name must start with a letter and contain only letters, digits and underscores.",
        },
        {"type": "string", "minLength": 1, "maxLength": 100, "errorMsg": "Name must be 1 to 100 characters."},
    ],
}


def services() -> list[dict[str, Any]]:
    """`pages.inputs.services`: one form per data set, in catalogue order."""
    return [service(data_set) for data_set in CATALOGUE.values()]


def service(data_set: DataSet) -> dict[str, Any]:
    return {
        "name": data_set.input_type,
        "title": data_set.title,
        "entity": [NAME, *(entity(setting) for setting in data_set.all_settings)],
    }


def entity(setting: Setting) -> dict[str, Any]:
    """One form field, with validators that accept exactly what `settings.parse` accepts."""
    base: dict[str, Any] = {"label": setting.label, "field": setting.name, "required": setting.required}
    kind = setting.kind
    if kind == "account":
        return {
            "type": "singleSelect",
            **base,
            "help": setting.help,
            "options": {"referenceName": "account"},
            "validators": [
                {"type": "string", "minLength": 1, "maxLength": 50, "errorMsg": "Pick an account."}
            ],
        }
    if kind == "interval":
        return {
            "type": "interval",
            **base,
            "defaultValue": int(setting.default or 0),
            "options": {"range": [setting.low, setting.high]},
            "help": setting.help,
        }
    if kind == "index":
        return {"type": "index", **base, "defaultValue": setting.default, "help": setting.help}
    if kind == "bool":
        return {"type": "checkbox", **base, "defaultValue": setting.default == "1", "help": setting.help}
    found: dict[str, Any] = {"type": _TYPES.get(kind, "text"), **base}
    if setting.default is not None:
        found["defaultValue"] = setting.default
    found["help"] = setting.help
    found["validators"] = [_validator(setting)]
    items = [{"value": choice.value, "label": choice.label} for choice in setting.choices]
    if kind == "choice":
        found["options"] = {"disableSearch": True, "autoCompleteFields": items}
    elif kind == "choices":
        found["options"] = {"delimiter": ",", "items": items}
    return found


_TYPES = {"choice": "singleSelect", "choices": "multipleSelect", "emails": "textarea"}


def _validator(setting: Setting) -> dict[str, Any]:
    label = setting.label
    if setting.kind == "int":
        return {
            "type": "number",
            "range": [setting.low, setting.high],
            "isInteger": True,
            "errorMsg": f"{label} must be a whole number from {setting.low} to {setting.high}.",
        }
    one = "|".join(re.escape(value) for value in setting.values)
    if setting.kind == "choice":
        return {"type": "regex", "pattern": f"^({one})?$", "errorMsg": f"{label}: choose from the list."}
    if setting.kind == "choices":
        return {
            "type": "regex",
            "pattern": f"^(({one})(,({one}))*)?$",
            "errorMsg": f"{label}: choose from the list.",
        }
    if setting.kind == "ids":
        return {
            "type": "regex",
            "pattern": rf"^\s*$|^[^,]+(,[^,]+){{0,{setting.high - 1}}}$",
            "errorMsg": f"Give at most {setting.high} {label.lower()}, comma separated.",
        }
    return {
        "type": "string",
        "minLength": 0,
        "maxLength": setting.max_length,
        "errorMsg": f"{label} must be at most {setting.max_length} characters.",
    }


def inputs_conf() -> str:
    """default/inputs.conf: each input type's defaults. No input ships: each runs only once an administrator
    creates it with an account."""
    lines = [
        "# Written by the build from the data-set catalogue (splunk_app/inputs/): edit that, not this.",
        "# Defaults for the add-on's modular inputs. No input ships: each runs once an administrator",
        "# creates it on the Inputs page (or in local/inputs.conf) with an account.",
    ]
    for data_set in CATALOGUE.values():
        lines += ["", f"[{data_set.input_type}]", *(f"{key} = {value}" for key, value in PYTHON_KEYS.items())]
        lines += [
            f"{setting.name} = {setting.default}"
            for setting in data_set.all_settings
            if setting.default is not None
        ]
    return "\n".join(lines) + "\n"


def audit_input() -> str:
    """The one input that ships enabled, beside the data sets': the audit trail's spool folder, as
    splunk_app/splunk/audit.py writes it."""
    lines = [
        "# The audit trail: every change the alert actions and the containment sweep make in",
        "# Mimecast, one JSON file per event in the add-on's folder of splunkd's spool, indexed and",
        "# then deleted. More specific than Splunk's own [batch://$SPLUNK_HOME/var/spool/splunk], so",
        "# it wins for these files, as Splunk's own ...stash_new stanza does. Set the index in",
        "# local/inputs.conf if the add-on's index is not `mimecast` (the macro mimecast_awareness_index).",
        f"[batch://$SPLUNK_HOME/{'/'.join(audit.SPOOL)}]",
        "move_policy = sinkhole",
        "whitelist = \\.json$",
        f"sourcetype = {audit.SOURCETYPE}",
        f"index = {audit.INDEX}",
        "crcSalt = <SOURCE>",
    ]
    return "\n".join(lines) + "\n"

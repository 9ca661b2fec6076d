"""The Configuration page's fields as globalConfig.json declares them, and what UCC's validators (in the
browser and in the generated REST handler) accept."""

from __future__ import annotations

import json
import re

from .spl import ROOT


def configuration_tabs() -> list[dict]:
    config = json.loads((ROOT / "globalConfig.json").read_text(encoding="utf-8"))
    return config["pages"]["configuration"]["tabs"]


def configuration_field(tab_name: str, field: str) -> dict:
    (tab,) = [tab for tab in configuration_tabs() if tab["name"] == tab_name]
    (entity,) = [entity for entity in tab["entity"] if entity["field"] == field]
    return entity


def longest(entity: dict) -> int:
    """The string validator's maxLength."""
    return next(v["maxLength"] for v in entity["validators"] if v["type"] == "string")


def accepts(entity: dict, text: str) -> bool:
    """Whether the field's string and regex validators both let `text` through."""
    pattern = next(v["pattern"] for v in entity["validators"] if v["type"] == "regex")
    return len(text) <= longest(entity) and re.match(pattern, text) is not None

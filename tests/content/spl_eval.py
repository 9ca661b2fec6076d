"""Runs the few SPL commands the risk-policy macro is made of (eval with string functions, lookup with
OUTPUT and OUTPUTNEW, fields -) over records, with Splunk's documented semantics, so a test can compare the
macro's answers with the Python policy's. A CSV lookup reads its file in lookups/; a KV store lookup reads
the rows a test gives for its collection, matching case exactly as the KV store does. Not an SPL engine:
anything else raises."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path

from . import spl

Record = dict[str, str | None]
_TOKEN = re.compile(r'\s*(?:("(?:\\.|[^"\\])*")|([A-Za-z_][\w.]*)|(\d+)|(.))')


def pipeline(text: str) -> list[str]:
    """The commands of a search, split at pipes outside quotes and brackets."""
    return [part.strip() for part in _split(text, "|", "([", ")]") if part.strip()]


def _split(text: str, at: str, opening: str, closing: str) -> list[str]:
    """`text` split at `at` where it is outside double quotes (backslash escapes) and brackets."""
    parts, depth, quote, escaped, start = [], 0, False, False, 0
    for index, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quote = False
        elif char == '"':
            quote = True
        elif char in opening:
            depth += 1
        elif char in closing:
            depth -= 1
        elif depth == 0 and char == at:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def expand(definition: str, args: list[str], values: list[str]) -> str:
    for name, value in zip(args, values):
        definition = definition.replace(f"${name}$", value)
    return definition


def run(
    search: str, records: list[Record], collections: dict[str, list[Record]] | None = None
) -> list[Record]:
    for command in pipeline(search):
        verb, _, rest = command.partition(" ")
        if verb == "eval":
            for name, expression in _assignments(rest):
                for record in records:
                    record[name] = _Expression(expression).value(record)
        elif verb == "lookup":
            _lookup(rest, records, collections or {})
        elif verb == "fields" and rest.startswith("-"):
            for name in (part.strip() for part in rest[1:].split(",")):
                for record in records:
                    record.pop(name, None)
        else:
            raise NotImplementedError(f"spl_eval does not run {verb!r}")
    return records


def _assignments(text: str) -> list[tuple[str, str]]:
    """`a=expr, b=expr` split at top-level commas."""
    pairs = [part.partition("=") for part in _split(text, ",", "(", ")")]
    return [(name.strip(), expression.strip()) for name, _, expression in pairs]


def _lookup(text: str, records: list[Record], collections: dict[str, list[Record]]) -> None:
    words = text.replace(",", " ").split()
    name, words = words[0], words[1:]
    mode = next(word for word in words if word in ("OUTPUT", "OUTPUTNEW"))
    inputs, outputs = _pairs(words[: words.index(mode)]), _pairs(words[words.index(mode) + 1 :])
    stanza = spl.conf("transforms.conf")[name]
    if stanza.get("external_type") == "kvstore":
        rows: list[Record] = list(collections.get(stanza["collection"], []))
        folded = False  # the KV store matches case exactly; case_sensitive_match applies to CSV lookups
    else:
        folded = stanza.get("case_sensitive_match", "true").lower() in ("false", "0")
        rows = list(csv.DictReader((Path(spl.ROOT) / "lookups" / stanza["filename"]).open(encoding="utf-8")))
    fold: Callable[[str], str] = str.lower if folded else str
    for record in records:
        if mode == "OUTPUTNEW" and all(record.get(field) is not None for _, field in outputs):
            continue
        keys = [record.get(field) for _, field in inputs]
        if any(key is None for key in keys):  # a null input field matches nothing
            matches = []
        else:
            matches = [
                row for row in rows if all(fold(row[c] or "") == fold(k) for (c, _), k in zip(inputs, keys))
            ]
        assert len(matches) <= 1, f"{name}: {keys} matches {len(matches)} rows"
        for column, field in outputs:
            if matches:
                if mode == "OUTPUT" or record.get(field) is None:
                    record[field] = matches[0][column]
            elif mode == "OUTPUT":
                record[field] = None


def _pairs(words: list[str]) -> list[tuple[str, str]]:
    """`col AS field col2` as (column, field) pairs."""
    pairs, index = [], 0
    while index < len(words):
        if index + 2 < len(words) and words[index + 1].upper() == "AS":
            pairs.append((words[index], words[index + 2]))
            index += 3
        else:
            pairs.append((words[index], words[index]))
            index += 1
    return pairs


FUNCTIONS: dict[str, Callable[..., str | None]] = {
    "coalesce": lambda *values: next((value for value in values if value is not None), None),
    "upper": lambda value: None if value is None else value.upper(),
    "lower": lambda value: None if value is None else value.lower(),
    "trim": lambda value, chars=None: None if value is None else value.strip(chars),
}


class _Expression:
    """An eval expression of function calls, string literals and field names."""

    def __init__(self, text: str) -> None:
        self.tokens = [match for match in _TOKEN.finditer(text) if match.group(0).strip()]
        self.position = 0

    def value(self, record: Record) -> str | None:
        self.position = 0
        return self._node(record)

    def _next(self) -> re.Match[str]:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def _node(self, record: Record) -> str | None:
        token = self._next()
        if token.group(1):
            return token.group(1)[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        if token.group(3):
            return token.group(3)
        name = token.group(2)
        if name is None:
            raise NotImplementedError(f"spl_eval: unexpected {token.group(0)!r}")
        if self.position < len(self.tokens) and self.tokens[self.position].group(4) == "(":
            self.position += 1
            args = []
            while self.tokens[self.position].group(4) != ")":
                args.append(self._node(record))
                if self.tokens[self.position].group(4) == ",":
                    self.position += 1
            self.position += 1
            return self._call(name, args)
        return record.get(name)

    def _call(self, name: str, args: list[str | None]) -> str | None:
        if name == "if":  # a null condition is false
            return args[1] if args[0] == "true" else args[2]
        if name == "in":
            return "true" if args[0] is not None and args[0] in args[1:] else "false"
        if name not in FUNCTIONS:
            raise NotImplementedError(f"spl_eval does not know {name}()")
        return FUNCTIONS[name](*args)

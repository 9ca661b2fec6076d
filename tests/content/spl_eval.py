"""Runs the few SPL commands the risk-policy macro and the searches built on it are made of (eval and where
with string functions, replace with a regular expression and len among them, number functions and
comparisons, lookup with OUTPUT and OUTPUTNEW, fields -, table) over records, with Splunk's documented
semantics, so a test can compare their answers with the Python policy's. A CSV lookup reads its file in
lookups/; a KV store lookup reads the rows a test gives for its collection, matching case exactly as the KV
store does (a column a row lacks is null). Not an SPL engine: anything else raises."""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import spl

Value = Any  # a field's value: text, a number, a condition's True or False, or None (null)
Record = dict[str, Value]
_TOKEN = re.compile(
    r"""\s*(?:("(?:\\.|[^"\\])*")|('[^']*')|([A-Za-z_][\w.]*)|(\d+(?:\.\d+)?)|(==|!=|<=|>=|.))"""
)


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


_MACRO = re.compile(r"`([\w]+)(?:\(([^`]*)\))?`")


def macros(search: str) -> str:
    """The search with its macros (from macros.conf) expanded, as Splunk expands them before running it."""
    defined = spl.conf("macros.conf")

    def one(match: re.Match[str]) -> str:
        name, given = match.group(1), match.group(2)
        values = [part.strip() for part in _split(given, ",", "(", ")")] if given is not None else []
        stanza = defined[f"{name}({len(values)})" if values else name]
        args = [arg.strip() for arg in stanza.get("args", "").split(",") if arg.strip()]
        return macros(expand(stanza["definition"], args, values))

    return _MACRO.sub(one, search)


def after(search: str, verb: str) -> str:
    """The part of a search after its first `verb` command (the base search, when `verb` is `search`), with
    its macros expanded: what a test can run over records shaped like that command's results."""
    commands = pipeline(search if search.lstrip().startswith("|") else "search " + search)
    start = next(i for i, command in enumerate(commands) if command.split(" ", 1)[0] == verb)
    return macros(" | ".join(commands[start + 1 :]))


def run(
    search: str, records: list[Record], collections: dict[str, list[Record]] | None = None
) -> list[Record]:
    for command in pipeline(search):
        verb, _, rest = command.partition(" ")
        if verb == "where":
            records = [record for record in records if _Expression(rest).value(record) is True]
        elif verb == "table":
            names = [name.strip() for name in rest.split(",")]
            records = [{name: record.get(name) for name in names} for record in records]
        elif verb == "eval":
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
                row
                for row in rows
                if all(fold(row.get(c) or "") == fold(k) for (c, _), k in zip(inputs, keys))
            ]
        assert len(matches) <= 1, f"{name}: {keys} matches {len(matches)} rows"
        for column, field in outputs:
            if matches:
                if mode == "OUTPUT" or record.get(field) is None:
                    record[field] = matches[0].get(column)
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


def _number(value: Value) -> float | None:
    """Splunk's tonumber: a number, or null for text that is not one."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except ValueError:
        return None


FUNCTIONS: dict[str, Callable[..., Value]] = {
    "coalesce": lambda *values: next((value for value in values if value is not None), None),
    "upper": lambda value: None if value is None else str(value).upper(),
    "lower": lambda value: None if value is None else str(value).lower(),
    "trim": lambda value, chars=None: None if value is None else str(value).strip(chars),
    "tonumber": _number,
    "len": lambda value: None if value is None else len(_text(value)),
    # PCRE as Python's re reads it: the same for the character classes, repeats and ^ the searches use.
    "replace": lambda value, regex, by: None if value is None else re.sub(regex, by, _text(value)),
    "isnull": lambda value: value is None,
    "isnotnull": lambda value: value is not None,
    "null": lambda: None,
    "strftime": lambda value, form: (
        None if _number(value) is None else time.strftime(form, time.gmtime(_number(value)))
    ),
}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


class _Expression:
    """An eval or where expression: string and number literals, field names (bare or in single quotes),
    function calls, comparisons (numeric when both sides are numbers, as Splunk compares), `.` joining
    text, and AND, OR, NOT. A comparison with a null side is false."""

    def __init__(self, text: str) -> None:
        self.tokens = [match for match in _TOKEN.finditer(text) if match.group(0).strip()]
        self.position = 0

    def value(self, record: Record) -> Value:
        self.position = 0
        found = self._or(record)
        if self.position != len(self.tokens):
            raise NotImplementedError(f"spl_eval: cannot read past {self._peek()!r}")
        return found

    def _peek(self) -> str | None:
        if self.position >= len(self.tokens):
            return None
        token = self.tokens[self.position]
        return token.group(0).strip() if not token.group(1) else None

    def _take(self, *words: str) -> str | None:
        word = self._peek()
        if word in words:
            self.position += 1
            return word
        return None

    def _or(self, record: Record) -> Value:
        return self._chain(record, "OR", self._and, any)

    def _and(self, record: Record) -> Value:
        return self._chain(record, "AND", self._not, all)

    def _chain(
        self, record: Record, word: str, operand: Callable[[Record], Value], combine: Callable[..., bool]
    ) -> Value:
        """Operands joined by AND or OR; both sides are read, since the parser must pass over them."""
        found = operand(record)
        while self._take(word):
            other = operand(record)
            found = combine((found is True, other is True))
        return found

    def _not(self, record: Record) -> Value:
        if self._take("NOT"):
            return self._not(record) is not True
        return self._compare(record)

    def _compare(self, record: Record) -> Value:
        left = self._join(record)
        operator = self._take(*_COMPARE)
        if operator is None:
            return left
        right = self._join(record)
        if left is None or right is None:
            return False
        numbers = _number(left), _number(right)
        if None not in numbers:
            return _COMPARE[operator](*numbers)
        return _COMPARE[operator](str(left), str(right))

    def _join(self, record: Record) -> Value:
        found = self._node(record)
        while self._take("."):
            other = self._node(record)
            found = None if found is None or other is None else _text(found) + _text(other)
        return found

    def _node(self, record: Record) -> Value:
        token = self.tokens[self.position]
        self.position += 1
        if token.group(1):
            return token.group(1)[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        if token.group(2):
            return record.get(token.group(2)[1:-1])
        if token.group(4):
            return float(token.group(4))
        if self._peek_was("("):
            found = self._or(record)
            if not self._take(")"):
                raise NotImplementedError("spl_eval: unclosed (")
            return found
        name = token.group(3)
        if name is None:
            raise NotImplementedError(f"spl_eval: unexpected {token.group(0)!r}")
        if self._take("("):
            args = []
            while not self._take(")"):
                args.append(self._or(record))
                self._take(",")
            return self._call(name, args)
        return record.get(name)

    def _peek_was(self, char: str) -> bool:
        return self.tokens[self.position - 1].group(5) == char

    def _call(self, name: str, args: list[Value]) -> Value:
        if name == "if":  # a null or false condition is false
            return args[1] if args[0] is True else args[2]
        if name == "in":
            return args[0] is not None and args[0] in args[1:]
        if name not in FUNCTIONS:
            raise NotImplementedError(f"spl_eval does not know {name}()")
        return FUNCTIONS[name](*args)


def _text(value: Value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

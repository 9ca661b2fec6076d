"""A small reader for .conf files and SPL, enough to check what the app's searches name and whether they are
well formed. Not a full SPL parser: it knows quotes, brackets, backtick macros and pipes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "default"

# Standard SPL commands the shipped searches may use. Anything else must come from commands.conf.
STANDARD_COMMANDS = frozenset(
    [
        "search",
        "where",
        "eval",
        "stats",
        "eventstats",
        "streamstats",
        "timechart",
        "chart",
        "table",
        "fields",
        "rename",
        "sort",
        "head",
        "tail",
        "dedup",
        "bin",
        "bucket",
        "untable",
        "convert",
        "lookup",
        "inputlookup",
        "outputlookup",
        "makeresults",
        "append",
        "join",
        "rex",
        "spath",
        "fillnull",
        "mvexpand",
        "top",
        "rare",
        "tstats",
        "collect",
        "sendalert",
        "foreach",
        "addinfo",
        "return",
        "format",
        "from",
        "outputcsv",
        "inputcsv",
        "rest",
    ]
)
# Macros, lookups and saved searches that Splunk or Enterprise Security define, which the searches may name.
STANDARD_MACROS: frozenset[str] = frozenset()
STANDARD_LOOKUPS: frozenset[str] = frozenset()


def read_conf(path: Path) -> dict[str, dict[str, str]]:
    """Stanzas of a .conf file as Splunk reads them: comments skipped, a trailing backslash continues."""
    stanzas: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stanzas.setdefault(stripped[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not a key = value line: {line!r}"
        value = value.strip()
        while value.endswith("\\"):
            value = value[:-1] + "\n" + next(lines).strip()
        assert current is not None, f"{path.name}: setting outside a stanza: {line!r}"
        current[key.strip()] = value
    return stanzas


def conf(name: str) -> dict[str, dict[str, str]]:
    path = DEFAULT / name
    return read_conf(path) if path.exists() else {}


@dataclass
class Spl:
    """What one search names: the result of scanning it once."""

    text: str
    problems: list[str] = field(default_factory=list)
    macros: list[str] = field(default_factory=list)  # as macros.conf names them: name or name(N)
    commands: list[str] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)
    eventtypes: list[str] = field(default_factory=list)
    saved_searches: list[str] = field(default_factory=list)


def _split_args(text: str) -> list[str]:
    return [part for part in re.split(r',(?=(?:[^"]*"[^"]*")*[^"]*$)', text) if part.strip()]


def scan(text: str) -> Spl:
    """Check quotes, brackets and backticks, and list the macros, commands, lookups, eventtypes and saved
    searches that a search names (subsearches included)."""
    spl = Spl(text)
    stack: list[str] = []
    in_quote = False
    in_macro = False
    macro_start = 0
    segments: list[str] = []
    segment_start = 0
    pairs = {")": "(", "]": "["}
    i = 0
    while i < len(text):
        char = text[i]
        if in_quote:
            if char == "\\":
                i += 2
                continue
            if char == '"':
                in_quote = False
        elif char == "`":
            if in_macro:
                call = text[macro_start:i].strip()
                name, paren, args = call.partition("(")
                if paren and not args.endswith(")"):
                    spl.problems.append(f"malformed macro call `{call}`")
                count = len(_split_args(args[:-1])) if paren else 0
                spl.macros.append(f"{name}({count})" if paren else name)
            else:
                macro_start = i + 1
            in_macro = not in_macro
        elif in_macro:
            pass
        elif char == '"':
            in_quote = True
        elif char in "([":
            stack.append(char)
            if char == "[":
                segments.append(text[segment_start:i])
                segment_start = i + 1
        elif char in ")]":
            if not stack or stack[-1] != pairs[char]:
                spl.problems.append(f"unbalanced {char!r} at offset {i}")
            else:
                stack.pop()
            if char == "]":
                segments.append(text[segment_start:i])
                segment_start = i + 1
        elif char == "|" and not [b for b in stack if b == "("]:
            segments.append(text[segment_start:i] + "\0")
            segment_start = i + 1
        i += 1
    segments.append(text[segment_start:])
    if in_quote:
        spl.problems.append("unbalanced double quote")
    if in_macro:
        spl.problems.append("unbalanced backtick")
    if stack:
        spl.problems.append(f"unclosed {''.join(stack)}")
    _names(spl, text, segments)
    return spl


def _names(spl: Spl, text: str, segments: list[str]) -> None:
    # A segment ending in \0 is followed by a pipe, so the next segment starts with a command.
    after_pipe = False
    for segment in segments:
        words = segment.replace("\0", "").split()
        # A macro in a command's place expands to commands, which are checked where the macro is defined.
        if after_pipe and words and not words[0].startswith("`"):
            spl.commands.append(words[0].lower())
        after_pipe = segment.endswith("\0")
    unquoted = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    unquoted = re.sub(r"`[^`]*`", " ", unquoted)
    lookup = r"\b(?:lookup|inputlookup|outputlookup)\s+(?:\w+=\S+\s+)*([\w.]+)"
    spl.lookups.extend(re.findall(lookup, unquoted))
    spl.eventtypes.extend(re.findall(r"\beventtype\s*=\s*\"?([\w:.*-]+)", unquoted))
    spl.saved_searches.extend(re.findall(r'\bsavedsearch\s+"([^"]+)"', text))
    spl.saved_searches.extend(re.findall(r"\bsavedsearch\s+(\w+)", unquoted))


def defined_macros() -> set[str]:
    return set(conf("macros.conf")) | STANDARD_MACROS


def defined_lookups() -> set[str]:
    """Lookup definitions, the files the app ships, and the files a definition names (a saved search may
    write one that is not shipped)."""
    files = {p.name for p in (ROOT / "lookups").glob("*")} if (ROOT / "lookups").exists() else set()
    transforms = conf("transforms.conf")
    named = {stanza["filename"] for stanza in transforms.values() if stanza.get("filename")}
    return set(transforms) | files | named | STANDARD_LOOKUPS


def defined_commands() -> set[str]:
    return {name.lower() for name in conf("commands.conf")} | STANDARD_COMMANDS

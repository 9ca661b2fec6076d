"""`| mimecastrisk`: the splunklib StreamingCommand around the risk table and the lean row path.

splunklib speaks the chunked protocol (getinfo, metadata, framing, error messages); each chunk's body
goes through `rows.enrich_chunk` instead of splunklib's per-field dict reader and writer: a record is
written back as its own text with the risk cells after it (a malformed one through splunklib's csv writer),
into a compact buffer (pinned splunk-sdk 2.1.1: `_execute_chunk_v2` and the record writer's buffer and
csv writer are its internals).
"""

from __future__ import annotations

import csv
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from splunklib.searchcommands import Configuration, Option, StreamingCommand
from splunklib.searchcommands.internals import CsvDialect

from splunk_app.risk.identity import USER_FIELDS
from splunk_app.risk.policy import PolicyError, shipped
from splunk_app.risk.prepared import cache_folder
from splunk_app.risk.rows import Memo, enrich_chunk
from splunk_app.risk.table import CSV_TWIN, CSV_TWIN_SEARCH, RiskTable, TableError, read_csv
from splunk_app.splunk.admin_tables import load_aliases, load_policy
from splunk_app.splunk.logs import get_logger
from splunk_app.splunk.risk_store import read_table
from splunk_app.splunk.service import SplunkdError, connect

FIELD_LIMIT = 1 << 30  # splunkd sends whole events: a 10 MB field is passed through, never an error
_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.]*")  # never empty: the event's own fields stay
_DOMAIN = re.compile(r"@?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


class ArgumentProblem(Exception):
    """An argument the command cannot use; the message says which and what it accepts."""


@Configuration(distributed=False)
class MimecastRiskCommand(StreamingCommand):
    """Enrich each event with its user's SAFE grade and watch-list status from the risk table."""

    prefix = Option(doc="Text put before every added field name. Default: mimecast_", default="mimecast_")
    default_domain = Option(doc="Mail domain tried first for DOMAIN\\user and bare user names.", default="")
    lookup = Option(doc="A CSV file in the app's lookups/ folder to read instead of the KV store collection.")

    def __init__(self, app_root: str | os.PathLike[str]) -> None:
        super().__init__()
        self._app_root = Path(app_root)
        self._table: RiskTable | None = None
        self._said: set[str] = set()
        self._memo = Memo()

    def _protocol_v2_option_parser(self, arg: str) -> list[str]:
        """`field=<name>` may be given several times, so it is collected like a field-name argument."""
        name, equals, value = arg.partition("=")
        if equals and name.strip() == "field":
            return [value.strip()]
        return super()._protocol_v2_option_parser(arg)

    def prepare(self) -> None:
        """Check the arguments and read the table once, before splunkd gets the command's metadata: a
        problem ends the search with one message in Splunk's UI."""
        csv.field_size_limit(FIELD_LIMIT)
        try:
            self._check_arguments()
            self._table = self._load_table()
            self._table.reload = self._load_table  # should its prepared form turn out damaged
        except (ArgumentProblem, TableError, PolicyError, SplunkdError) as err:
            get_logger("mimecastrisk").error("mimecastrisk stopped: %s", err)
            self.write_error(f"mimecastrisk: {err}")
            sys.exit(1)
        self._buffer_compactly()
        # The KV store lives on the search head; a CSV lookup travels to the indexers in the bundle.
        self.configuration.distributed = self.lookup is not None

    def stream(self, records: str) -> Iterator[str | list[str]]:
        """The chunk's body enriched: the header's cells, then each record as text or cells."""
        assert self._table is not None, "prepare() reads the table"
        fields = self.fieldnames or USER_FIELDS
        return enrich_chunk(
            records,
            self._table,
            fields,
            bool(self.fieldnames),
            self.prefix,
            warn=self._warn,
            terminator=CsvDialect.lineterminator,
            memo=self._memo,
        )

    def _warn(self, text: str) -> None:
        """One warning in Splunk's UI (and the search log) per distinct problem, however often it occurs."""
        if text not in self._said:
            self._said.add(text)
            get_logger("mimecastrisk").warning("mimecastrisk: %s", text)
            self.write_warning(f"mimecastrisk: {text}")

    def _execute_chunk_v2(self, process: Any, chunk: Any) -> None:
        """splunklib's per-chunk step, with text for records: a record's own text and the added cells go
        straight into the answer's buffer, a row given as cells through splunklib's csv writer."""
        _metadata, body = chunk
        write, writerow = self._record_writer._buffer.write, self._record_writer._writerow
        for item in process(body):
            if item.__class__ is str:
                write(item)
            else:
                writerow(item)

    def _buffer_compactly(self) -> None:
        """splunklib's record writer reuses one StringIO for every answer, which from the second on holds
        the text at four bytes a character; the rows' own strings, joined once, take one."""
        writer = self._record_writer
        writer._buffer = TextParts()
        writer._writer = csv.writer(writer._buffer, dialect=CsvDialect)
        writer._writerow = writer._writer.writerow

    def _check_arguments(self) -> None:
        if not _PREFIX.fullmatch(self.prefix):
            raise ArgumentProblem(
                f"prefix={self.prefix!r} is not a field-name prefix: use letters, digits, _ and ., "
                "starting with a letter or digit"
            )
        if self.default_domain and not _DOMAIN.fullmatch(self.default_domain):
            raise ArgumentProblem(f"default_domain={self.default_domain!r} is not a domain like example.com")
        empty = [name for name in self.fieldnames if not name]
        if empty:
            raise ArgumentProblem("field= needs a field name, for example field=recipient")

    def _load_table(self) -> RiskTable:
        """The table, the aliases and the policy (read and checked before any event): on the search head
        from the KV store, the administrator's collections included; with lookup= (on the indexers, which
        have no KV store) from the CSV files in the app's lookups/ folder and the shipped policy."""
        domain = self.default_domain
        cache = cache_folder(os.environ.get("SPLUNK_HOME"))
        if self.lookup is not None:
            shipped()
            aliases = load_aliases(None, self._app_root, self._warn, cache)
            return read_csv(self._lookup_path(self.lookup), domain, aliases, f"lookup={self.lookup}", cache)
        info = self.metadata.searchinfo
        service = connect(info.splunkd_uri, info.session_key)
        load_policy(service)
        return read_table(service, load_aliases(service, self._app_root, self._warn, cache), domain, cache)

    def _lookup_path(self, name: str) -> Path:
        """The file `name` in the app's own lookups/ folder; any name that leads out of it is refused."""
        folder = (self._app_root / "lookups").resolve()
        path = (folder / name).resolve()
        if not name or folder not in path.parents:
            raise ArgumentProblem(
                f"lookup={name!r} is not a file name in the app's lookups folder; name a CSV file there, "
                "for example lookup=mimecast_user_risk.csv"
            )
        if not path.is_file():
            raise TableError(
                f"lookup={name!r}: there is no such file in the app's lookups folder; the saved search "
                f"'{CSV_TWIN_SEARCH}' writes {CSV_TWIN} there from the risk table: enable it (or run it once)"
            )
        return path


class TextParts:
    """What splunklib's record writer needs of its StringIO: write, getvalue, and seek(0) then truncate()
    to empty it."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.write = self._parts.append

    def getvalue(self) -> str:
        return "".join(self._parts)

    def seek(self, offset: int) -> int:
        if offset != 0:
            raise ValueError("TextParts only seeks to the start, before truncate()")
        return 0

    def truncate(self) -> int:
        self._parts.clear()
        return 0


def main(app_root: str, argv: list[str] | None = None) -> None:
    """Run the command as splunkd starts it: the chunked protocol on stdin and stdout."""
    MimecastRiskCommand(app_root).process(sys.argv if argv is None else argv, sys.stdin, sys.stdout)

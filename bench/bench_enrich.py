"""Records per second of `| mimecastrisk` against a splunklib StreamingCommand that passes records through.

Both run as splunkd runs them (a process speaking SCP v2 on stdin and stdout) over the same generated
events, in the same session; the clock runs from the first execute chunk to the last answer, so process
start and the table read (timed on its own) are left out. Peak memory is the process's maximum RSS.

    python bench/bench_enrich.py [--events N] [--chunk N] [--users N] [--rounds N]

Defaults (also from MIMECAST_BENCH_EVENTS, _CHUNK, _USERS, _ROUNDS): 1,000,000 events in chunks of
50,000, a 100,000-user table, one round.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from splunklib.searchcommands import Configuration, StreamingCommand, dispatch  # noqa: E402

from devkit import chunked  # noqa: E402
from devkit.splunkd import SplunkdStandIn  # noqa: E402
from splunk_app.risk.table import COLLECTION, FIELDS, priority_for, table_from_rows  # noqa: E402
from splunk_app.splunk import kvstore  # noqa: E402
from splunk_app.splunk.search_command import KV_PAGE_SIZE  # noqa: E402
from splunk_app.splunk.service import connect  # noqa: E402

GRADES = "AAABBBCCDF"
DEPARTMENTS = ("Sales", "Finance", "Engineering", "Support", "Legal", "Marketing", "HR", "Operations")


def passthrough() -> None:
    """The floor splunklib itself sets: a StreamingCommand that yields every record unchanged."""

    @Configuration()
    class Passthrough(StreamingCommand):
        def stream(self, records):
            yield from records

    dispatch(Passthrough, sys.argv[:1], sys.stdin, sys.stdout)


def write_table(path: Path, users: int, rng: random.Random) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS)
        for number in range(users):
            grade = rng.choice(GRADES)
            listed = rng.random() < 0.1
            writer.writerow(
                [
                    f"user{number}@example.com",
                    f"User {number}",
                    rng.choice(DEPARTMENTS),
                    "active",
                    grade,
                    rng.choice(GRADES),
                    rng.choice(GRADES),
                    rng.choice(GRADES),
                    rng.choice(GRADES),
                    "true" if listed else "false",
                    rng.randint(1, 9) if listed else 0,
                    rng.randint(0, 20),
                    rng.randint(0, 5),
                    rng.randint(0, 8),
                    priority_for(grade),
                    1763895600,
                ]
            )


def identity(rng: random.Random, users: int) -> str:
    """A user as some log writes it; one in ten is not in the table."""
    number = rng.randrange(users * 10 // 9)
    local = f"user{number}"
    form = rng.randrange(5)
    if form == 0:
        return f"CORP\\{local}"
    if form == 1:
        return f"{local}@Example.COM".upper()
    if form == 2:
        return local
    return f"{local}@example.com"


def events(count: int, users: int, rng: random.Random) -> Iterator[dict[str, object]]:
    """Proxy and mail events with splunkd's default fields: a user, a recipient list, or neither."""
    start = 1763895600
    for number in range(count):
        at = start + number // 10
        kind = rng.random()
        event: dict[str, object] = {
            "_time": at,
            "host": f"gw{number % 7}.example.com",
            "index": "main",
            "linecount": 1,
            "source": "/var/log/gateway.log",
            "sourcetype": "proxy" if kind < 0.6 else "mail",
            "splunk_server": "idx1.example.com",
            "eventtype": "web_traffic" if kind < 0.6 else "email_click",
            "date_hour": (at // 3600) % 24,
            "action": rng.choice(("allowed", "blocked", "clicked")),
            "url": f"https://site{rng.randrange(1000)}.example.net/path/{number}",
        }
        if kind < 0.6:
            event["user"] = identity(rng, users)
        elif kind < 0.9:
            recipients = [identity(rng, users) for _ in range(rng.choice((1, 1, 2, 3, 4)))]
            event["recipient"] = recipients if len(recipients) > 1 else recipients[0]
        event["_raw"] = f"{at} {event['sourcetype']} " + " ".join(
            f"{name}={value}" for name, value in event.items() if not name.startswith("_")
        )
        event["punct"] = "_=_=_=_=_://.../"
        yield event


def write_traffic(path: Path, count: int, chunk: int, users: int, rng: random.Random) -> None:
    stream = events(count, users, rng)
    with path.open("wb") as handle:
        for sent in range(0, count, chunk):
            batch = [next(stream) for _ in range(min(chunk, count - sent))]
            handle.write(chunked.execute(batch, finished=sent + chunk >= count))


def drive(command: list[str], args: list[str], traffic: Path, out: Path, env: dict[str, str]) -> dict:
    """One run: getinfo answered, then every execute chunk pumped in while the answers are copied out."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    process.stdin.write(chunked.getinfo(args))
    process.stdin.flush()
    info = next(chunked.iter_chunks(process.stdout)).metadata
    ready = time.perf_counter()

    def copy_out() -> None:
        with out.open("wb") as handle:
            while block := process.stdout.read(1 << 20):
                handle.write(block)

    peak = [0]
    watcher = threading.Thread(target=watch_peak, args=(process, peak))
    copier = threading.Thread(target=copy_out)
    watcher.start()
    copier.start()
    with traffic.open("rb") as source:
        while block := source.read(1 << 20):
            process.stdin.write(block)
    process.stdin.close()
    copier.join()
    done = time.perf_counter()
    process.wait()
    watcher.join()
    return {
        "info": info,
        "setup": ready - started,
        "seconds": done - ready,
        "rss_mb": peak[0] / 1024,
        "status": process.returncode,
    }


def watch_peak(process: subprocess.Popen, peak: list[int]) -> None:
    """The process's own peak RSS (VmHWM, kB), read while it runs. Not ru_maxrss: Linux carries the
    parent's high-water mark into a child started with vfork, which would charge this script's memory."""
    status = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        try:
            lines = status.read_text().splitlines()
        except OSError:
            return
        for line in lines:
            if line.startswith("VmHWM:"):
                peak[0] = max(peak[0], int(line.split()[1]))
        time.sleep(0.02)


def kv_read(table: Path) -> str:
    """The same table read as the command reads it in Splunk: from the KV store, a page at a time."""
    with SplunkdStandIn() as splunkd, table.open(newline="", encoding="utf-8") as handle:
        documents = [{"_key": row["email"], **row} for row in csv.DictReader(handle)]
        splunkd.create_collection(COLLECTION, documents)
        clock = time.perf_counter()
        service = connect(splunkd.uri, splunkd.session_key)
        users = len(table_from_rows(kvstore.read(service, COLLECTION, fields=FIELDS, page_size=KV_PAGE_SIZE)))
        seconds = time.perf_counter() - clock
        requests = sum(COLLECTION in request.path for request in splunkd.requests)
    return f"KV store read (loopback splunkd stand-in): {users:,} users, {seconds:.2f}s, {requests} requests"


def check(out: Path, expected: int, enriched: bool) -> int:
    """Every record came back; when enriched, each with a grade. Returns the record count."""
    with out.open("rb") as handle:
        answers = list(chunked.iter_chunks(handle))
    count = 0
    for answer in answers:
        for record in chunked.records_of(answer.body):
            count += 1
            if enriched and not record.get("mimecast_safe_grade"):
                raise SystemExit(f"record {count} has no mimecast_safe_grade")
    if count != expected:
        raise SystemExit(f"{count:,} records came back, not {expected:,}")
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    env_int = lambda name, default: int(os.environ.get(f"MIMECAST_BENCH_{name}", default))  # noqa: E731
    parser.add_argument("--events", type=int, default=env_int("EVENTS", 1_000_000))
    parser.add_argument("--chunk", type=int, default=env_int("CHUNK", 50_000))
    parser.add_argument("--users", type=int, default=env_int("USERS", 100_000))
    parser.add_argument("--rounds", type=int, default=env_int("ROUNDS", 1))
    parser.add_argument("--no-check", action="store_true", help="skip reading the answers back")
    options = parser.parse_args()

    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="bench_enrich_") as folder:
        work = Path(folder)
        table, traffic, out = work / "risk.csv", work / "traffic.bin", work / "answers.bin"
        clock = time.perf_counter()
        write_table(table, options.users, rng)
        write_traffic(traffic, options.events, options.chunk, options.users, rng)
        print(
            f"generated {options.events:,} events in chunks of {options.chunk:,} "
            f"({traffic.stat().st_size / 1e6:,.0f} MB), {options.users:,}-user table "
            f"in {time.perf_counter() - clock:.1f}s",
            flush=True,
        )
        env = {**os.environ, "MIMECAST_AT_RISK_TABLE": str(table)}
        commands = {
            "passthrough": ([sys.executable, __file__, "--passthrough"], []),
            "mimecastrisk": (
                [sys.executable, str(ROOT / "bin" / "mimecastrisk.py")],
                ["default_domain=example.com"],
            ),
        }
        best: dict[str, dict] = {}
        for _round in range(options.rounds):
            for name, (command, args) in commands.items():
                result = drive(command, args, traffic, out, env)
                if result["status"] != 0:
                    raise SystemExit(f"{name} exited with {result['status']}")
                if not options.no_check:
                    check(out, options.events, name == "mimecastrisk")
                rate = options.events / result["seconds"]
                print(
                    f"{name:>13}: {rate:12,.0f} records/s  ({result['seconds']:.2f}s; start and getinfo "
                    f"{result['setup']:.2f}s; peak RSS {result['rss_mb']:,.0f} MB)",
                    flush=True,
                )
                if name not in best or result["seconds"] < best[name]["seconds"]:
                    best[name] = result
        ratio = best["passthrough"]["seconds"] / best["mimecastrisk"]["seconds"]
        print(
            f"ratio mimecastrisk / passthrough: {ratio:.2f} (target >= 0.95); "
            f"mimecastrisk peak memory {best['mimecastrisk']['rss_mb']:,.0f} MB, "
            f"start with the CSV table read {best['mimecastrisk']['setup']:.2f}s"
        )
        print(kv_read(table))
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--passthrough"]:
        passthrough()
    else:
        sys.exit(main())

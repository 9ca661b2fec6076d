"""`| mimecastrisk` measured as splunkd runs it (a process speaking SCP v2 on stdin and stdout).

Four parts, each printing figures (none asserted):

- throughput: records per second of mimecastrisk against a splunklib StreamingCommand that passes records
  through, over the same generated events in the same session; the clock runs from the first execute chunk
  to the last answer (process start and the table read are timed apart); peak RSS of each process.
- start: the whole of a one-event search (process start to last answer), as most alert searches are,
  with `lookup=` (the first search that meets a table prepares it; later ones read the prepared form) and
  with the KV store (loopback splunkd stand-in).
- parallel: one, two and four `lookup=` processes at once over the same table, as indexers run it.
- load: the table's load time and the process's peak RSS, from the CSV and from the prepared form.

The event mix (stated again when it runs): 60% proxy events with one `user`, 30% mail events with a
`recipient` list of 1-4 users (a list as a multivalue field, or one value separated by commas or
semicolons, sometimes in display-name form), 10% with no user field. Each user is written as logs do:
40% lower-case email, 20% mixed-case email, 20% `CORP\\user`, 20% bare `user`; one user in ten is not in
the table. No option is given: the command finds the users itself.

    python bench/bench_enrich.py [--events N] [--chunk N] [--users N] [--rounds N] [--parts ...]

Defaults (also from MIMECAST_BENCH_EVENTS, _CHUNK, _USERS, _ROUNDS): 1,000,000 events in chunks of
50,000, a 100,000-user table, one round, every part; start and load use 100,000 and 1,000,000 users.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from splunklib.searchcommands import Configuration, StreamingCommand, dispatch  # noqa: E402

from devkit import chunked  # noqa: E402
from devkit.splunkd import SplunkdStandIn  # noqa: E402
from splunk_app.risk.table import COLLECTION, FIELDS, priority_for  # noqa: E402
from splunk_app.splunk.risk_store import VERSION_COLLECTION, bump_version  # noqa: E402
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
    """A user as some log writes it (see the event mix above); one in ten is not in the table."""
    number = rng.randrange(users * 10 // 9)
    local = f"user{number}"
    form = rng.random()
    if form < 0.4:
        return f"{local}@example.com"
    if form < 0.6:
        return f"User{number}@Example.COM"
    if form < 0.8:
        return f"CORP\\{local}"
    return local


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
            shape = rng.random()
            if len(recipients) == 1:
                event["recipient"] = recipients[0]
            elif shape < 0.5:
                event["recipient"] = recipients  # a multivalue field
            elif shape < 0.8:
                event["recipient"] = "; ".join(recipients)
            else:
                event["recipient"] = ", ".join(f'"Person {n}" <{who}>' for n, who in enumerate(recipients))
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


def app_with(table: Path, folder: Path) -> Path:
    """An app folder as Splunk installs it: bin/mimecastrisk.py, and the table in lookups/ for lookup=."""
    (folder / "bin").mkdir(parents=True, exist_ok=True)
    (folder / "lookups").mkdir(exist_ok=True)
    shutil.copy(ROOT / "bin" / "mimecastrisk.py", folder / "bin" / "mimecastrisk.py")
    target = folder / "lookups" / table.name
    if not target.exists():
        os.link(table, target)
    return folder


def environment(cache: Path) -> dict[str, str]:
    """The command's environment: this checkout's packages (the app's lib/ in Splunk), and a cache folder of
    the bench's own (SPLUNK_HOME), so the first search of a run prepares the table."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "SPLUNK_HOME": str(cache)}


def one_event(command: list[str], args: list[str], env: dict[str, str], **searchinfo: str) -> float:
    """The wall time of a whole one-event search."""
    data = chunked.getinfo(args, **searchinfo) + chunked.execute([{"user": "CORP\\user17"}], finished=True)
    clock = time.perf_counter()
    done = chunked.run(command, data, env)
    seconds = time.perf_counter() - clock
    if done.returncode != 0 or done.records[0].get("mimecast_match") != "local_part":
        raise SystemExit(f"one-event search failed: {done.stderr[-2000:]}")
    return seconds


def part_throughput(work: Path, options: argparse.Namespace, rng: random.Random) -> None:
    table, traffic, out = work / f"risk{options.users}.csv", work / "traffic.bin", work / "answers.bin"
    clock = time.perf_counter()
    if not table.exists():
        write_table(table, options.users, rng)
    write_traffic(traffic, options.events, options.chunk, options.users, rng)
    print(
        f"generated {options.events:,} events in chunks of {options.chunk:,} "
        f"({traffic.stat().st_size / 1e6:,.0f} MB), {options.users:,}-user table "
        f"in {time.perf_counter() - clock:.1f}s",
        flush=True,
    )
    app = app_with(table, work / "app")
    env = environment(work / "cache")
    command = [sys.executable, str(app / "bin" / "mimecastrisk.py")]
    one_event(command, [f"lookup={table.name}"], env)  # prepares the table, as the first search would
    commands = {
        "passthrough": ([sys.executable, __file__, "--passthrough"], []),
        "mimecastrisk": (command, [f"lookup={table.name}"]),
    }
    best: dict[str, dict] = {}
    for _round in range(options.rounds):
        for name, (argv, args) in commands.items():
            result = drive(argv, args, traffic, out, env)
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
    memory = best["mimecastrisk"]["rss_mb"] / best["passthrough"]["rss_mb"]
    print(
        f"speed mimecastrisk / passthrough: {ratio:.2f} (target >= 1.5); "
        f"peak memory mimecastrisk / passthrough: {memory:.2f} (target <= 1.0)",
        flush=True,
    )


def part_start(work: Path, sizes: list[int], rng: random.Random) -> None:
    """One-event searches: lookup= (cold: the first search prepares; warm: later ones) and KV store."""
    env = environment(work / "cache-start")  # its own cache folder: the first search finds nothing prepared
    for users in sizes:
        table = work / f"risk{users}.csv"
        if not table.exists():
            write_table(table, users, rng)
        app = app_with(table, work / "app")
        command = [sys.executable, str(app / "bin" / "mimecastrisk.py")]
        args = [f"lookup={table.name}"]
        cold = one_event(command, args, env)
        warm = min(one_event(command, args, env) for _ in range(3))
        print(
            f"one-event search, {users:>9,} users, lookup=: first {cold:.2f}s (prepares), then {warm:.2f}s "
            f"(target <= {0.25 if users <= 100_000 else 1.5}s)",
            flush=True,
        )
        if users <= KV_USERS:
            part_start_kv(table, users, command, env)


def part_start_kv(table: Path, users: int, command: list[str], env: dict[str, str]) -> None:
    """One-event searches reading the KV store: without a version token (the whole table each time), then
    with one (the first search prepares, later ones read the prepared form)."""
    with SplunkdStandIn() as splunkd, table.open(newline="", encoding="utf-8") as handle:
        documents = [{"_key": row["email"], **row} for row in csv.DictReader(handle)]
        splunkd.create_collection(COLLECTION, documents)
        info = {"splunkd_uri": splunkd.uri, "session_key": splunkd.session_key}
        whole = min(one_event(command, [], env, **info) for _ in range(2))
        splunkd.create_collection(VERSION_COLLECTION)
        bump_version(connect(splunkd.uri, splunkd.session_key))
        cold = one_event(command, [], env, **info)
        warm = min(one_event(command, [], env, **info) for _ in range(3))
    print(
        f"one-event search, {users:>9,} users, KV store (loopback stand-in): no version token {whole:.2f}s; "
        f"with one: first {cold:.2f}s (prepares), then {warm:.2f}s",
        flush=True,
    )


def part_parallel(work: Path, options: argparse.Namespace, rng: random.Random) -> None:
    """1, 2 and 4 lookup= processes at once, each over the same events, as indexers run the command."""
    events = min(options.events, PARALLEL_EVENTS)
    table, traffic = work / f"risk{options.users}.csv", work / "parallel.bin"
    if not table.exists():
        write_table(table, options.users, rng)
    write_traffic(traffic, events, options.chunk, options.users, rng)
    app = app_with(table, work / "app")
    env = environment(work / "cache")
    command = [sys.executable, str(app / "bin" / "mimecastrisk.py")]
    args = [f"lookup={table.name}"]
    one_event(command, args, env)
    for processes in (1, 2, 4):
        clock = time.perf_counter()
        outs = [work / f"out{slot}.bin" for slot in range(processes)]
        with ThreadPoolExecutor(processes) as pool:
            results = list(pool.map(lambda out: drive(command, args, traffic, out, env), outs))
        wall = time.perf_counter() - clock
        print(
            f"{processes} process(es) in parallel, {events:,} events each, {options.users:,} users: "
            f"{processes * events / wall:12,.0f} records/s in all, peak RSS "
            f"{max(result['rss_mb'] for result in results):,.0f} MB each (on {os.cpu_count()} cores)",
            flush=True,
        )


LOAD_SCRIPT = """
import sys, time
from pathlib import Path
from splunk_app.risk.prepared import cache_folder
from splunk_app.risk.table import read_csv
clock = time.perf_counter()
table = read_csv(sys.argv[1], cache=cache_folder(sys.argv[2]) if sys.argv[2] else None)
table.resolve("CORP\\\\user17")
seconds = time.perf_counter() - clock
peak = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM"))
print(len(table), round(seconds, 3), int(peak.split()[1]) // 1024)
"""


def part_load(work: Path, sizes: list[int], rng: random.Random) -> None:
    """The table's load time and the process's peak RSS: from the CSV, then from its prepared form."""
    for users in sizes:
        table = work / f"risk{users}.csv"
        if not table.exists():
            write_table(table, users, rng)
        cache = work / "load-cache"
        figures = {}
        for label, folder in (("CSV", ""), ("CSV, preparing", str(cache)), ("prepared", str(cache))):
            done = subprocess.run(
                [sys.executable, "-c", LOAD_SCRIPT, str(table), folder],
                capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
            )  # fmt: skip
            figures[label] = done.stdout.split()
        print(
            f"table load, {users:>9,} users: "
            + "; ".join(
                f"{label} {values[1]}s, peak RSS {values[2]} MB" for label, values in figures.items()
            ),
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    env_int = lambda name, default: int(os.environ.get(f"MIMECAST_BENCH_{name}", default))  # noqa: E731
    parser.add_argument("--events", type=int, default=env_int("EVENTS", 1_000_000))
    parser.add_argument("--chunk", type=int, default=env_int("CHUNK", 50_000))
    parser.add_argument("--users", type=int, default=env_int("USERS", 100_000))
    parser.add_argument("--rounds", type=int, default=env_int("ROUNDS", 1))
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="start, load")
    parser.add_argument("--parts", nargs="+", default=list(PARTS), choices=list(PARTS))
    parser.add_argument("--no-check", action="store_true", help="skip reading the answers back")
    options = parser.parse_args()

    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="bench_enrich_") as folder:
        work = Path(folder)
        for part in options.parts:
            print(f"-- {part}", flush=True)
            if part == "throughput":
                part_throughput(work, options, rng)
            elif part == "parallel":
                part_parallel(work, options, rng)
            elif part == "start":
                part_start(work, options.sizes, rng)
            else:
                part_load(work, options.sizes, rng)
    return 0


PARTS = ("throughput", "start", "parallel", "load")
KV_USERS = 100_000  # the stand-in holds the collection in the bench's own memory
PARALLEL_EVENTS = 200_000


if __name__ == "__main__":
    if sys.argv[1:] == ["--passthrough"]:
        passthrough()
    else:
        sys.exit(main())

"""`| mimecastrisk` measured as splunkd runs it (a process speaking SCP v2 on stdin and stdout).

Parts, each printing figures (none asserted):

- throughput: records per second of mimecastrisk against two pass-throughs over the same chunks in the same
  session: splunklib's StreamingCommand that yields every record (the target's floor) and a bare Python
  loop that reads each chunk and writes its body back unchanged (the ceiling for any Python command). The
  clock runs from the first execute chunk to the last answer; peak RSS of each process. Three event shapes
  (see SHAPES): the identity mix, short proxy records, and records of many fields.
- start: one-event searches, as most alert searches are: with `lookup=`, where the reader prepares (the
  first search after the CSV changed, then the next ones), and with the KV store (loopback splunkd
  stand-in), where the writer prepares (as the inputs' risk sync does) before the first search; the peak
  RSS of a one-event search at each table size.
- changed: two and four one-event searches started at once on a table just replaced: every one must answer
  from the new table (no failure, no torn read).
- parallel: one, two and four `lookup=` processes at once over the same table, as indexers run it.

    python bench/bench_enrich.py [--large] [--events N] [--chunk N] [--users N] [--rounds N] [--parts ...]

The default run is modest (200,000 events in chunks of 50,000, a 100,000-user table, table sizes of 100,000
users); `--large` uses 1,000,000 events and table sizes of 100,000 and 1,000,000 users, as issue 21's
targets state them. MIMECAST_BENCH_EVENTS, _CHUNK, _USERS and _ROUNDS set the defaults too.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
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
from splunk_app.splunk.risk_store import VERSION_COLLECTION, KVRiskStore, table_version  # noqa: E402
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


def bare() -> None:
    """The ceiling for any Python command: each chunk read and its body written back unchanged."""
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while header := source.readline():
        _version, meta_length, body_length = header.split(b",")
        metadata = json.loads(source.read(int(meta_length)))
        body = source.read(int(body_length))
        if metadata.get("action") == "getinfo":
            answer, body = b'{"type": "streaming"}', b""
        else:
            answer = b'{"finished": true}' if metadata.get("finished") else b'{"finished": false}'
        sink.write(b"chunked 1.0,%d,%d\n" % (len(answer), len(body)) + answer + body)
        sink.flush()


def write_table(path: Path, users: int, rng: random.Random, department: str = "") -> None:
    """A risk table as the CSV twin holds it; every user in `department` when one is given."""
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
                    department or rng.choice(DEPARTMENTS),
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


def short_events(count: int, users: int, rng: random.Random) -> Iterator[dict[str, object]]:
    """Short proxy records of few fields: a tenth of them each name their user as `DOMAIN\\user`, bare,
    upper-case, or a two-user list; the rest as a lower-case email (one user in ten not in the table)."""
    start = 1763895600
    for number in range(count):
        email = f"user{rng.randrange(users * 10 // 9)}@example.com"
        form = rng.random()
        if form < 0.1:
            user: str = f"CORP\\{email.partition('@')[0]}"
        elif form < 0.2:
            user = email.partition("@")[0]
        elif form < 0.3:
            user = email.upper()
        elif form < 0.4:
            user = f"{email}, user{rng.randrange(users)}@example.com"
        else:
            user = email
        yield {"_time": start + number // 10, "_raw": f"GET /{number} {user}", "user": user}


def wide_events(count: int, users: int, rng: random.Random) -> Iterator[dict[str, object]]:
    """The identity mix's events, each with 60 more fields, as an EDR or firewall record carries."""
    for event in events(count, users, rng):
        event.update((f"field{column}", f"value{column}-{rng.randrange(100)}") for column in range(60))
        yield event


SHAPES = {"identity": events, "short": short_events, "wide": wide_events}


def write_traffic(path: Path, count: int, chunk: int, users: int, rng: random.Random, shape: str) -> None:
    stream = SHAPES[shape](count, users, rng)
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
    started_cpu = cpu_so_far(process.pid)

    def copy_out() -> None:
        with out.open("wb") as handle:
            while block := process.stdout.read(1 << 20):
                handle.write(block)

    peak, stop = [0], threading.Event()
    watcher = threading.Thread(target=watch_peak, args=(process, peak, stop))
    copier = threading.Thread(target=copy_out)
    watcher.start()
    copier.start()
    with traffic.open("rb") as source:
        while block := source.read(1 << 20):
            process.stdin.write(block)
    process.stdin.close()
    copier.join()
    done = time.perf_counter()
    _pid, status, usage = os.wait4(process.pid, 0)  # the child's own CPU time, whatever else runs
    process.returncode = os.waitstatus_to_exitcode(status)
    stop.set()
    watcher.join()
    return {
        "info": info,
        "setup": ready - started,
        "seconds": done - ready,
        "cpu": usage.ru_utime + usage.ru_stime - started_cpu,
        "rss_mb": peak[0] / 1024,
        "status": process.returncode,
    }


def cpu_so_far(pid: int) -> float:
    """The CPU seconds a running process has used (user and system, from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def watch_peak(process: subprocess.Popen, peak: list[int], stop: threading.Event) -> None:
    """The process's own peak RSS (VmHWM, kB), read while it runs. Not ru_maxrss: Linux carries the
    parent's high-water mark into a child started with vfork, which would charge this script's memory.
    Polled until `stop`: the caller reaps the process itself, for its CPU time."""
    status = Path(f"/proc/{process.pid}/status")
    while not stop.is_set():
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


PEAK = """
import atexit, runpy, sys
from pathlib import Path

def peak(target=Path(sys.argv[1])):
    status = Path("/proc/self/status").read_text().splitlines()
    target.write_text(next(line for line in status if line.startswith("VmHWM")).split()[1])

atexit.register(peak)
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def one_event(
    command: list[str], args: list[str], env: dict[str, str], peak: Path | None = None, **searchinfo: str
) -> tuple[float, dict, float]:
    """A whole one-event search: its wall time, the enriched record, and with `peak` the process's peak RSS
    in MB (VmHWM, written by the process itself as it exits)."""
    if peak is not None:
        command = [command[0], "-c", PEAK, str(peak), *command[1:]]
    data = chunked.getinfo(args, **searchinfo) + chunked.execute([{"user": "CORP\\user17"}], finished=True)
    clock = time.perf_counter()
    done = chunked.run(command, data, env, timeout=600)
    seconds = time.perf_counter() - clock
    if done.returncode != 0 or done.records[0].get("mimecast_match") != "local_part":
        raise SystemExit(f"one-event search failed: {done.messages} {done.stderr[-2000:]}")
    return seconds, done.records[0], int(peak.read_text()) / 1024 if peak is not None else 0.0


def timed(command: list[str], args: list[str], env: dict[str, str], **searchinfo: str) -> float:
    return one_event(command, args, env, **searchinfo)[0]


def prepared_table(work: Path, users: int, rng: random.Random) -> tuple[Path, list[str]]:
    """The table's CSV (written once per size) in an app folder, and the command that searches it."""
    table = work / f"risk{users}.csv"
    if not table.exists():
        write_table(table, users, rng)
    app = app_with(table, work / "app")
    return table, [sys.executable, str(app / "bin" / "mimecastrisk.py")]


def part_throughput(work: Path, options: argparse.Namespace, rng: random.Random) -> None:
    table, command = prepared_table(work, options.users, rng)
    env = environment(work / "cache")
    timed(command, [f"lookup={table.name}"], env)  # prepares the table, as the first search would
    commands = {
        "bare": ([sys.executable, __file__, "--bare"], []),
        "splunklib": ([sys.executable, __file__, "--passthrough"], []),
        "mimecastrisk": (command, [f"lookup={table.name}"]),
    }
    traffic, out = work / "traffic.bin", work / "answers.bin"
    for shape in options.shapes:
        clock = time.perf_counter()
        write_traffic(traffic, options.events, options.chunk, options.users, rng, shape)
        print(
            f"{shape}: {options.events:,} events in chunks of {options.chunk:,} "
            f"({traffic.stat().st_size / 1e6:,.0f} MB, generated in {time.perf_counter() - clock:.0f}s), "
            f"{options.users:,}-user table, lookup=",
            flush=True,
        )
        ratios, fractions = [], []
        for _round in range(options.rounds):
            seconds, cpu = {}, {}
            for name, (argv, args) in commands.items():
                result = drive(argv, args, traffic, out, env)
                if result["status"] != 0:
                    raise SystemExit(f"{name} exited with {result['status']}")
                if not options.no_check:
                    check(out, options.events, name == "mimecastrisk")
                seconds[name], cpu[name] = result["seconds"], result["cpu"]
                print(
                    f"  {name:>12}: {options.events / result['seconds']:12,.0f} records/s "
                    f"({result['seconds']:.2f}s after getinfo, which took {result['setup']:.2f}s from the "
                    f"start; {result['cpu']:.2f}s CPU after getinfo; peak RSS {result['rss_mb']:,.0f} MB)",
                    flush=True,
                )
            ratios.append(
                (seconds["splunklib"] / seconds["mimecastrisk"], cpu["splunklib"] / cpu["mimecastrisk"])
            )
            fractions.append((seconds["bare"] / seconds["mimecastrisk"], cpu["bare"] / cpu["mimecastrisk"]))
        for label, at in (("wall", 0), ("CPU", 1)):
            speed, share = [pair[at] for pair in ratios], [pair[at] for pair in fractions]
            print(
                f"  {shape}, {label} time: mimecastrisk / splunklib pass-through x{min(speed):.2f} to "
                f"x{max(speed):.2f} (target >= 1.5 in every run); of the bare Python pass-through "
                f"{min(share):.0%} to {max(share):.0%} ({options.rounds} round(s))",
                flush=True,
            )


def part_start(work: Path, options: argparse.Namespace, rng: random.Random) -> None:
    """One-event searches at each table size: lookup= (the reader prepares), then the KV store (the writer
    prepares), and the peak RSS of a one-event search."""
    for users in options.sizes:
        table, command = prepared_table(work, users, rng)
        env = environment(work / f"cache-start-{users}")  # nothing prepared yet
        args = [f"lookup={table.name}"]
        first = timed(command, args, env)
        following = min(timed(command, args, env) for _ in range(3))
        _seconds, _record, peak = one_event(command, args, env, work / "peak")
        print(
            f"one-event search, {users:>9,} users, lookup= (the reader prepares): first {first:.2f}s, "
            f"next {following:.2f}s; peak RSS {peak:.0f} MB",
            flush=True,
        )
        part_start_kv(work, table, users, command)


def part_start_kv(work: Path, table: Path, users: int, command: list[str]) -> None:
    """One-event searches reading the KV store (the loopback stand-in): without a version token (the whole
    table each time, up to KV_WHOLE users), then after a writer's change that the writer prepared."""
    home = work / f"cache-kv-{users}"
    env = environment(home)
    with SplunkdStandIn() as splunkd, table.open(newline="", encoding="utf-8") as handle:
        splunkd.create_collection(
            COLLECTION, [{"_key": row["email"], **row} for row in csv.DictReader(handle)]
        )
        info = {"splunkd_uri": splunkd.uri, "session_key": splunkd.session_key}
        service = connect(splunkd.uri, splunkd.session_key)
        whole = timed(command, [], env, **info) if users <= KV_WHOLE else None
        splunkd.create_collection(VERSION_COLLECTION)
        store = KVRiskStore(service)
        store.save([])  # a writer's change: a new version token
        clock = time.perf_counter()
        table_version(service)
        asked = time.perf_counter() - clock
        clock = time.perf_counter()
        with splunk_home(home):
            store.written()  # the writer prepares, as the inputs' risk sync does
        writer = time.perf_counter() - clock
        first = timed(command, [], env, **info)
        following = min(timed(command, [], env, **info) for _ in range(3))
        _seconds, _record, peak = one_event(command, [], env, work / "peak", **info)
    print(
        f"one-event search, {users:>9,} users, KV store (loopback stand-in): "
        + (f"no version token {whole:.2f}s; " if whole is not None else "")
        + f"the writer prepared in {writer:.1f}s, then first {first:.2f}s, next {following:.2f}s "
        f"(of which the stand-in's answer to the version token and newest update {asked:.2f}s); "
        f"peak RSS {peak:.0f} MB",
        flush=True,
    )


@contextlib.contextmanager
def splunk_home(folder: Path) -> Iterator[None]:
    """SPLUNK_HOME for this process while the writer prepares (it finds the searches' folder by it)."""
    before = os.environ.get("SPLUNK_HOME")
    os.environ["SPLUNK_HOME"] = str(folder)
    try:
        yield
    finally:
        if before is None:
            del os.environ["SPLUNK_HOME"]
        else:
            os.environ["SPLUNK_HOME"] = before


def part_changed(work: Path, options: argparse.Namespace, rng: random.Random) -> None:
    """Two and four one-event searches started at once on a lookup= table just replaced (renamed into
    place, as a lookup file is): each must answer, and from the new table (its department), never the old."""
    table, command = prepared_table(work, options.users, rng)
    live = work / "app" / "lookups" / table.name
    env = environment(work / "cache-changed")
    args = [f"lookup={table.name}"]
    timed(command, args, env)
    for round_number, processes in enumerate((2, 4, 2, 4)):
        department = f"Changed {round_number}"
        replacement = live.with_suffix(".new")
        write_table(replacement, options.users, random.Random(round_number), department)
        os.replace(replacement, live)
        clock = time.perf_counter()
        with ThreadPoolExecutor(processes) as pool:
            answers = list(pool.map(lambda _slot: one_event(command, args, env), range(processes)))
        wall = time.perf_counter() - clock
        torn = [record for _seconds, record, _peak in answers if record["mimecast_department"] != department]
        if torn:
            raise SystemExit(f"{len(torn)} of {processes} searches answered from another table: {torn}")
        print(
            f"{processes} one-event searches at once on a just-replaced {options.users:,}-user table: "
            f"all answered from the new table; wall {wall:.2f}s, slowest "
            f"{max(seconds for seconds, _record, _peak in answers):.2f}s",
            flush=True,
        )


def part_parallel(work: Path, options: argparse.Namespace, rng: random.Random) -> None:
    """1, 2 and 4 lookup= processes at once, each over the same events, as indexers run the command."""
    events = min(options.events, PARALLEL_EVENTS)
    table, command = prepared_table(work, options.users, rng)
    traffic = work / "parallel.bin"
    write_traffic(traffic, events, options.chunk, options.users, rng, "identity")
    env = environment(work / "cache")
    args = [f"lookup={table.name}"]
    timed(command, args, env)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    env_int = lambda name, default: int(os.environ.get(f"MIMECAST_BENCH_{name}", default))  # noqa: E731
    parser.add_argument("--large", action="store_true", help="1,000,000 events; tables of 100k and 1M users")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--chunk", type=int, default=env_int("CHUNK", 50_000))
    parser.add_argument("--users", type=int, default=env_int("USERS", 100_000))
    parser.add_argument("--rounds", type=int, default=env_int("ROUNDS", 1))
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="table sizes for start")
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--parts", nargs="+", default=list(PARTS), choices=list(PARTS))
    parser.add_argument("--no-check", action="store_true", help="skip reading the answers back")
    options = parser.parse_args()
    if options.events is None:
        options.events = 1_000_000 if options.large else env_int("EVENTS", 200_000)
    if options.sizes is None:
        options.sizes = [100_000, 1_000_000] if options.large else [100_000]

    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="bench_enrich_") as folder:
        work = Path(folder)
        for part in options.parts:
            print(f"-- {part}", flush=True)
            PARTS[part](work, options, rng)
    return 0


PARTS = {
    "throughput": part_throughput,
    "start": part_start,
    "changed": part_changed,
    "parallel": part_parallel,
}
KV_WHOLE = 100_000  # above, a search without a version token is not timed (it reads the whole table)
PARALLEL_EVENTS = 200_000


if __name__ == "__main__":
    if sys.argv[1:] == ["--passthrough"]:
        passthrough()
    elif sys.argv[1:] == ["--bare"]:
        bare()
    else:
        sys.exit(main())

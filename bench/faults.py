"""Reliability and security figures of issue 11, from one run of the fault suite.

Runs tests/e2e/test_faults.py (a private Redis and OpenSearch node; each fault
while a corpus slice flows crawl -> workers -> alerts), which leaves one record
per fault in var/figures/faults.json, then adds the hostile-input, API-fuzz and
SSRF counts that the security suites leave in var/figures/security-*.json
(written by those suites when they run; a figure whose suites left no file is
printed as null). ``--no-run`` only reads the files. The last line is JSON:
faults injected and survived, articles lost, duplicate messages, and the
security counts."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Which security suites measure each figure (tests/fixtures/hostile_figures.py).
SECURITY_SUITES = {"hostile_inputs": ("properties", "hostile_pages"), "unhandled": ("properties", "hostile_pages"),
                   "api_cases": ("api_fuzz",), "api_5xx": ("api_fuzz",),
                   "ssrf_refused": ("ssrf",), "ssrf_tried": ("ssrf",)}


def figures_dir() -> Path:
    return Path(os.environ.get("COVERWATCH_VAR_DIR") or ROOT / "var") / "figures"


def run_suite() -> int:
    started = time.monotonic()
    finished = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               "tests/e2e/test_faults.py"], cwd=ROOT, check=False)
    print(f"fault suite exited {finished.returncode} after {time.monotonic() - started:.0f}s", flush=True)
    return finished.returncode


def security_figures(folder: Path) -> dict[str, int | None]:
    """Each figure summed over the suites' files; None when none of its suites left one."""
    recorded: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("security*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as failure:
            print(f"unreadable {path.name}: {failure}", flush=True)
            continue
        suite = str(document.get("suite") or path.stem.removeprefix("security-"))
        recorded[suite] = document
        print(f"security suite {suite} (recorded {document.get('recorded_at', '?')}): "
              + " ".join(f"{key}={document.get(key)}" for key in SECURITY_SUITES), flush=True)
    figures: dict[str, int | None] = {}
    for key, suites in SECURITY_SUITES.items():
        present = [recorded[suite] for suite in suites if suite in recorded]
        # A file of a suite not named above still counts toward the figures it reports.
        present += [document for suite, document in recorded.items() if suite not in
                    {name for names in SECURITY_SUITES.values() for name in names} and document.get(key)]
        figures[key] = sum(int(document.get(key) or 0) for document in present) if present else None
    missing = sorted(key for key, value in figures.items() if value is None)
    if missing:
        print(f"no security figures yet for: {', '.join(missing)} (their suites have not run here)", flush=True)
    return figures


def fault_figures(folder: Path) -> dict[str, int]:
    path = folder / "faults.json"
    if not path.exists():
        print("no faults.json: the fault suite has not run", flush=True)
        return {"faults": 0, "lost": 0, "duplicate_messages": 0}
    outcomes: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    for outcome in outcomes:
        print(" ".join(f"{key}={value}" for key, value in outcome.items()), flush=True)
    missing = sum(int(outcome["missing_messages"]) for outcome in outcomes)
    print(f"faults injected {len(outcomes)}, survived {sum(bool(o['survived']) for o in outcomes)}; "
          f"expected alerts not received {missing}", flush=True)
    return {"faults": sum(bool(outcome["survived"]) for outcome in outcomes),
            "lost": sum(int(outcome["lost"]) for outcome in outcomes),
            "duplicate_messages": sum(int(outcome["duplicate_messages"]) for outcome in outcomes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-run", action="store_true", help="only read the figures the suites left")
    args = parser.parse_args()
    if not args.no_run:
        run_suite()
    folder = figures_dir()
    summary: dict[str, int | None] = {**fault_figures(folder), **security_figures(folder)}
    order = ("faults", "lost", "duplicate_messages", "hostile_inputs", "unhandled", "api_cases", "api_5xx",
             "ssrf_refused", "ssrf_tried")
    print(json.dumps({key: summary[key] for key in order}))


if __name__ == "__main__":
    main()

"""`make reliability`: run the hostile-input, fault and load tests with their full counts and
print the README's "Reliability" table from what they measured.

Each group is a pytest run; its figures are the lines the tests print (``SIGKILL during
import: ...``, ``load: ...``) and the corpus tables of ``tests/test_hostile_input.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GROUPS = {
    "inputs": ["tests/test_hostile_input.py", "tests/e2e/test_hostile.py"],
    "faults": ["tests/test_faults.py"],
    "load": ["tests/test_concurrency.py"],
    # issue 16: the security review's findings
    "lockout": ["tests/test_lockout.py"],
    "bombs": ["tests/test_import_bombs.py", "tests/e2e/test_import_bombs.py"],
    "corruption": [
        "tests/test_security_findings.py::test_f12_bytes_flipped_anywhere_never_give_a_different_count"
    ],
    "sessions": [
        "tests/e2e/test_sessions.py",
        "tests/test_access_matrix.py::test_history_reads_per_field_and_viewer",
    ],
}


def run(paths: list[str]) -> tuple[bool, str, float]:
    env = {**os.environ, "IAP_RELIABILITY_KILLS": "20", "IAP_RELIABILITY_UPDATES": "200"}
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", *paths],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:  # say why, not only "NO" in the table
        print(f"{' '.join(paths)} failed:\n{result.stdout[-3000:]}", file=sys.stderr)
    return result.returncode == 0, result.stdout, time.monotonic() - start


def main() -> int:
    from tests.test_hostile_input import IMPORTED, REFUSED, UNREADABLE

    rows, ok_all = [], True
    ok, out, took = run(GROUPS["inputs"])
    ok_all &= ok
    refused_rows = sum(len(v) for v in REFUSED.values())
    rows.append(
        (
            "hostile files (CSV, GeoJSON, GeoPackage)",
            f"{len(REFUSED) + len(UNREADABLE) + len(IMPORTED)} files",
            f"{len(REFUSED)} refused with {refused_rows} row-numbered problems, "
            f"{len(UNREADABLE)} refused whole, {len(IMPORTED)} imported exactly; "
            "refused files changed nothing",
            ok,
            took,
        )
    )
    ok, out, took = run(GROUPS["faults"])
    ok_all &= ok
    line = re.search(r"SIGKILL during import: (.*)", out)
    rows.append(
        ("import killed with SIGKILL", "20 kills", line.group(1) if line else "?", ok, took)
    )
    for label, tried, pattern in (
        ("a write on a full disk (no file may grow)", "1 import", r"full disk: (.*)"),
        ("`iap-registry backup` while writers run", "5 backups", r"backups while writing: (.*)"),
        ("a registry on a read-only disk", "read, write, open", r"read-only disk: (.*)"),
    ):
        line = re.search(pattern, out)
        rows.append((label, tried, line.group(1) if line else "?", ok, took))
    ok, out, took = run(GROUPS["load"])
    ok_all &= ok
    for backend, name in (("gpkg", "GeoPackage"), ("postgis", "PostGIS")):
        line = re.search(rf"load \({backend}\): (.*)", out)
        rows.append(
            (
                f"concurrent writers and readers ({name})",
                "8 writers x 200 updates",
                line.group(1) if line else "?",
                ok,
                took,
            )
        )
    ok, out, took = run(GROUPS["lockout"])
    ok_all &= ok
    for backend, name in (("gpkg", "GeoPackage"), ("postgis", "PostGIS")):
        found = re.findall(rf"lockout \({backend}, ([^)]*)\): ([^;\n]*)", out)
        rows.append(
            (
                f"40 wrong passwords at once ({name})",
                "40 threads; 4 processes x 10",
                "; ".join(f"{how}: {what}" for how, what in found) or "?",
                ok,
                took,
            )
        )
    ok, out, took = run(GROUPS["bombs"])
    ok_all &= ok
    cli = re.findall(r"import bomb (\S+): ([\d.]+) s, (\d+) MB", out)
    rows.append(
        (
            "import bombs, command line (rows, columns, cell, problems, features, nesting, "
            "GeoPackage view and table)",
            f"{len(cli)} files",
            "each refused with a row, column or size message; slowest "
            + (f"{max(float(t) for _, t, _ in cli):.1f} s, peak {max(int(m) for *_, m in cli)} MB"
               if cli else "?")
            + "; nothing written",
            ok,
            took,
        )
    )  # fmt: skip
    line = re.search(r"import bombs in the app: (.*)", out)
    rows.append(
        ("import bombs, app upload, a visitor loading meanwhile", "4 uploads",
         line.group(1) if line else "?", ok, took)
    )  # fmt: skip
    ok, out, took = run(GROUPS["corruption"])
    ok_all &= ok
    line = re.search(r"bytes flipped: (.*)", out)
    rows.append(
        (
            "64 bytes flipped in a registry file",
            "60 places",
            line.group(1) if line else "?",
            ok,
            took,
        )
    )
    ok, out, took = run(GROUPS["sessions"])
    ok_all &= ok
    rows.append(
        (
            "a manager demoted by an admin while their page is open (browser); history read "
            "by 6 kinds of viewer",
            "1 session; 6 viewers",
            "their next click published nothing and the review pages left the menu; visitors "
            "and other coordinators read published versions only, without restricted fields "
            "or usernames",
            ok,
            took,
        )
    )
    print(f"\nReliability, {time.strftime('%Y-%m-%d')}:\n")
    print("| what | tried | outcome | passed |")
    print("|---|---|---|---|")
    for what, tried, outcome, passed, took in rows:
        print(f"| {what} | {tried} | {outcome} | {'yes' if passed else 'NO'} ({took:.0f} s) |")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())

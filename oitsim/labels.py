"""Ground-truth labels of a simulated World: CSV output and summaries.

Labels come from what the generator PLANTED (``ItemPlan``), never from running a checker.
Row fields: lao_id, host, style, code, label (pass|fail), problem, as_of, form, fy, evidence_url.
The labelling rules are stated in oitsim/README.md.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable

FIELDS = ["lao_id", "host", "style", "code", "label", "problem", "as_of", "form", "fy", "evidence_url"]

#: problems that annotate a PASS (the evidence exists but is in a form a machine may not verify)
PASS_NOTES = ("scanned", "offsite")
#: problems that make an item FAIL
FAIL_PROBLEMS = ("missing", "broken", "placeholder", "empty", "stale", "incomplete", "private", "closed", "hijacked",
                 "unreachable")


def write_labels(world, path: str | Path) -> int:
    """Write ``world.labels()`` as CSV to ``path``; returns the number of rows."""
    rows = world.labels()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in FIELDS})
    return len(rows)


def totals_by_code(rows: Iterable[dict]) -> dict[str, Counter]:
    """{code: Counter(pass=…, fail=…)} in first-seen code order."""
    out: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        out[row["code"]][row["label"]] += 1
    return dict(out)


def totals_by_problem(rows: Iterable[dict]) -> Counter:
    return Counter((row["label"], row["problem"]) for row in rows)

"""`oit registry`: validate or import the LAO registry, the tambon coverage and officer assignments.

    oit registry validate [--laos FILE] [--coverage FILE] [--officers FILE]
    oit registry import --laos FILE [--coverage FILE] [--officers FILE] [--to DIR]

`validate` checks the shipped files (or the given ones) and lists every problem with file, row
and column; exit code 2 when there is any. `import` validates the given files together and only
then copies them into config/ (or into --to DIR), so a bad file never replaces a good one.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from oitwatch.errors import InputError
from oitwatch.paths import DEFAULT_COVERAGE, DEFAULT_LAOS, DEFAULT_OFFICERS


def add_arguments(parser):
    from oitwatch.cli import action_help

    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    v = sub.add_parser("validate", help=action_help("registry", "validate", "check the registry files and list every problem"))
    v.add_argument("--laos", nargs="?", const=str(DEFAULT_LAOS), default=None, help="LAO registry CSV")
    v.add_argument("--coverage", nargs="?", const=str(DEFAULT_COVERAGE), default=None, help="tambon coverage CSV")
    v.add_argument("--officers", nargs="?", const=str(DEFAULT_OFFICERS), default=None, help="officer assignments CSV")
    i = sub.add_parser("import", help=action_help("registry", "import", "validate files, then copy them into the configuration"))
    i.add_argument("--laos", required=True, help="LAO registry CSV to import")
    i.add_argument("--coverage", default=None, help="tambon coverage CSV to import (else the current one is checked)")
    i.add_argument("--officers", default=None, help="officer assignments CSV to import")
    i.add_argument("--to", default=None, help="target config directory (default: the project's config/)")


def _report(counts: dict, problems: list[str]) -> int:
    for p in problems:
        print(p, file=sys.stderr)
    summary = ", ".join(f"{k} {v}" for k, v in counts.items())
    if problems:
        print(f"registry: {len(problems)} problem(s) ({summary})", file=sys.stderr)
        return 2
    print(f"registry: ok ({summary})")
    return 0


def run(args) -> int:
    from oitwatch.registry import validate_registry

    if args.action == "validate":
        chosen = [args.laos, args.coverage, args.officers]
        if not any(chosen):   # no flag: everything shipped
            chosen = [str(DEFAULT_LAOS), str(DEFAULT_COVERAGE), str(DEFAULT_OFFICERS)]
        laos, coverage, officers = chosen
        if coverage and not laos:
            laos = str(DEFAULT_LAOS)   # coverage lao_ids are checked against the registry
        counts, problems = validate_registry(laos, coverage, officers)
        return _report(counts, problems)

    # import
    for name in ("laos", "coverage", "officers"):
        value = getattr(args, name)
        if value and not Path(value).is_file():
            raise InputError(f"--{name}: file not found: {value}")
    coverage = args.coverage or str(DEFAULT_COVERAGE)
    counts, problems = validate_registry(args.laos, coverage, args.officers)
    if problems:
        print("registry import: nothing copied", file=sys.stderr)
        return _report(counts, problems)
    base = Path(args.to) if args.to else DEFAULT_LAOS.parent.parent
    targets = {"laos": base / "registry" / "laos.csv", "coverage": base / "registry" / "coverage.csv",
               "officers": base / "assignments" / "officers.csv"}
    for name, target in targets.items():
        src = getattr(args, name)
        if not src:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if Path(src).resolve() != target.resolve():
            shutil.copyfile(src, target)
        print(f"imported {src} -> {target}")
    return _report(counts, problems)

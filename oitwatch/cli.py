"""The `oit` command. Each subcommand lives in oitwatch/commands/<name>.py and exposes
`add_arguments(parser)` and `run(args) -> int`. Help texts (English and Thai) come from
config/messages/cli.yaml, so Python holds no Thai.
"""
from __future__ import annotations

import argparse
import functools
import importlib
import sys

import yaml

from oitwatch.errors import InputError
from oitwatch.paths import CONFIG_DIR

COMMANDS = ["check", "crawl", "recheck", "nightly", "report", "registry", "sim", "demo"]


@functools.lru_cache(maxsize=1)
def _help() -> dict:
    with (CONFIG_DIR / "messages" / "cli.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def action_help(command: str, action: str, fallback: str) -> str:
    """English / Thai help of a sub-action (`<command>_<action>` in cli.yaml), else the fallback."""
    entry = _help().get(f"{command}_{action}")
    if isinstance(entry, dict) and entry.get("th"):
        return f"{entry.get('en', fallback)} / {entry['th']}"
    return fallback


def build_parser() -> argparse.ArgumentParser:
    texts = _help()
    top = texts["oit"]
    parser = argparse.ArgumentParser(
        prog="oit", description=f"{top['en']}\n{top['th']}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"oitwatch.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"oitwatch.commands.{name}":
                continue  # command not built yet
            raise
        t = texts.get(name, {"en": name, "th": name})
        epilog = f"{t['epilog_en']}\n{t['epilog_th']}" if t.get("epilog_en") and t.get("epilog_th") else None
        p = sub.add_parser(name, help=f"{t['en']} / {t['th']}", description=f"{t['en']}\n{t['th']}", epilog=epilog,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except InputError as exc:
        print(f"oit {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"oit {args.command}: interrupted; what was stored so far is kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

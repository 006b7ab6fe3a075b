"""`oit demo`: the whole pipeline on the simulated Mukdahan province.

Starts the simulated web (a forward proxy answering for the registry's real host names),
crawls and checks every LAO of the shipped Mukdahan registry through it, builds the report
and prints the path of its index page. Everything stays on this machine.
"""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from oitwatch.paths import DEFAULT_LAOS

DEMO_AS_OF = "2022-04-30"   # the simulated province is labelled as of the end of the ITA 2565 answering window
DEMO_YEAR = "2565"


def add_arguments(parser):
    parser.add_argument("--data-dir", default="data/demo", help="where the demo's store, logs and report go")
    parser.add_argument("--seed", type=int, default=2565, help="seed of the simulated province")


def run(args) -> int:
    from oitsim.server import SimServer
    from oitsim.world import mukdahan_world

    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    world = mukdahan_world(seed=args.seed, as_of=date.fromisoformat(DEMO_AS_OF))
    server = SimServer(world)
    proxy_url, ca_path = server.start_in_thread()
    print(f"simulated Mukdahan web: proxy {proxy_url}", flush=True)
    env = dict(os.environ, OIT_DATA_DIR=str(data_dir))
    oit = [sys.executable, "-m", "oitwatch.cli"]
    try:
        crawl = subprocess.run(
            [*oit, "nightly", "--registry", str(DEFAULT_LAOS), "--proxy", proxy_url, "--allow-private",
             "--fast", "--year", DEMO_YEAR, "--as-of", DEMO_AS_OF, "--data-dir", str(data_dir),
             "--out", str(data_dir / "report")],
            env=env,
        )
    finally:
        server.stop()
    if crawl.returncode != 0:
        print(f"oit demo: the nightly run failed with exit code {crawl.returncode}", file=sys.stderr)
        return crawl.returncode
    index = data_dir / "report" / "index.html"
    if not index.exists():
        print(f"oit demo: the report was not built; see the log under {data_dir / 'logs'}", file=sys.stderr)
        return 1
    print(f"report: {index}")
    return 0

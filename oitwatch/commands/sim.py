"""`oit sim`: run the simulated LAO web, and export its ground truth and registry.

    oit sim serve --set mukdahan|national|faults|heldout|all [--port 8899] [--latency-ms N] [--bandwidth-kbps N] [--seed N]
    oit sim labels --set mukdahan|heldout --out labels.csv
    oit sim registry --set national|heldout --count 7850 --out laos.csv

World modules are imported lazily, so this command loads (and says clearly what is missing)
even while parts of the simulated web are still being built.
"""
from __future__ import annotations

import argparse
import csv
import importlib
import inspect
import sys
from datetime import date
from pathlib import Path


from oitwatch.errors import InputError
from oitwatch.paths import data_dir

SETS = ("mukdahan", "national", "faults", "heldout", "all")
DEFAULT_SEED = 2565
DEFAULT_COUNT = 7850
DEFAULT_AS_OF = "2022-04-30"  # end of the ITA 2565 answering window: the labels' as-of date

# Where each world factory may live, first match wins (the generator helper owns these modules).
_FACTORIES = {
    "mukdahan": (("oitsim.world", "mukdahan_world"), ("oitsim.generator", "mukdahan_world")),
    "national": (("oitsim.world", "national_world"), ("oitsim.national", "national_world")),
    "faults": (("oitsim.faults", "fault_world"),),
    "heldout": (("oitsim.heldout", "heldout_world"),),
    "heldout_registry": (("oitsim.heldout", "heldout_registry_rows"),),
    "registry": (("oitsim.national", "national_registry_rows"), ("oitsim.world", "national_registry_rows")),
}

_ACTIONS = {
    "serve": "Serve the simulated web as a forward proxy on 127.0.0.1 until Ctrl-C.",
    "labels": "Write the ground-truth labels (one row per site and OIT item) as CSV.",
    "registry": "Write a registry CSV of the simulated national LAO set for the crawler.",
}


def _factory(kind: str):
    """The world factory for ``kind``, or InputError naming the modules that were tried."""
    tried = []
    for module_name, attr in _FACTORIES[kind]:
        tried.append(f"{module_name}.{attr}")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # that module does not exist (yet)
            raise
        fn = getattr(module, attr, None)
        if fn is not None:
            return fn
    raise InputError(f"the simulated '{kind}' set is not available: none of {', '.join(tried)} exists yet")


def build_world(name: str, *, seed: int = DEFAULT_SEED, count: int = DEFAULT_COUNT,
                as_of: date | None = None):
    """The World for one of SETS; ``all`` is Mukdahan, then the fault catalog, then the national set
    (the held-out styles set is served on its own: it measures the checker, it is not demo data)."""
    as_of = as_of or date.fromisoformat(DEFAULT_AS_OF)
    if name == "mukdahan":
        return _factory("mukdahan")(seed=seed, as_of=as_of)
    if name == "national":
        factory = _factory("national")
        if "as_of" in inspect.signature(factory).parameters:
            return factory(seed=seed, count=count, as_of=as_of)
        return factory(seed=seed, count=count)
    if name == "faults":
        return _factory("faults")()
    if name == "heldout":
        return _factory("heldout")(seed=seed, as_of=as_of)
    if name == "all":
        from oitsim.world import MultiWorld

        return MultiWorld([build_world(part, seed=seed, count=count, as_of=as_of)
                           for part in ("mukdahan", "faults", "national")])
    raise InputError(f"--set: unknown set {name!r}; expected one of {', '.join(SETS)}")


def _action_help(action: str) -> str:
    from oitwatch.cli import action_help
    return action_help("sim", action, _ACTIONS[action])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="sim_action", metavar="ACTION")
    for action in _ACTIONS:
        p = sub.add_parser(action, help=_action_help(action), description=_action_help(action))
        p.add_argument("--set", dest="world_set", choices=SETS, required=True,
                       help="which simulated web: the Mukdahan demo province, the national set, "
                            "the fault catalog, the held-out styles set, or all (Mukdahan, faults, national)")
        p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed (default %(default)s)")
        p.add_argument("--count", type=int, default=DEFAULT_COUNT,
                       help="number of LAOs in the national set (default %(default)s)")
        p.add_argument("--as-of", default=DEFAULT_AS_OF,
                       help="as-of date of the simulated content and labels, YYYY-MM-DD (default %(default)s)")
        if action == "serve":
            p.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
            p.add_argument("--port", type=int, default=8899, help="port to listen on; 0 = any free port")
            p.add_argument("--latency-ms", type=int, default=None,
                           help="latency before every answer, for every host (overrides per-host profiles)")
            p.add_argument("--bandwidth-kbps", type=int, default=None,
                           help="bandwidth of every answer in kbit/s, for every host (0 = unlimited)")
            p.add_argument("--ca-dir", default=None,
                           help="where the simulated CA certificate and key are kept (default DATA_DIR/sim-ca)")
        else:
            p.add_argument("--out", required=True, help="CSV file to write")


def _as_of(args) -> date:
    try:
        return date.fromisoformat(args.as_of)
    except ValueError:
        raise InputError(f"--as-of: {args.as_of!r} is not a date in YYYY-MM-DD form") from None


def _write_csv(path: Path, rows: list[dict]) -> int:
    """Write dict rows with the union of their keys (first-seen order); returns the row count."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def _serve(args) -> int:
    from oitsim.server import SimServer

    if not 0 <= args.port <= 65535:
        raise InputError(f"--port: {args.port} is not a TCP port")
    for name in ("latency_ms", "bandwidth_kbps"):
        value = getattr(args, name)
        if value is not None and value < 0:
            raise InputError(f"--{name.replace('_', '-')}: must be 0 or more, not {value}")
    world = build_world(args.world_set, seed=args.seed, count=args.count, as_of=_as_of(args))
    server = SimServer(world, host=args.host, port=args.port, latency_ms=args.latency_ms,
                       bandwidth_kbps=args.bandwidth_kbps, ca_dir=args.ca_dir or data_dir() / "sim-ca")

    def announce(srv: SimServer) -> None:
        print(f"proxy: {srv.url}")
        print(f"ca: {srv.ca_path}")
        print(f"try: curl -x {srv.url} --cacert {srv.ca_path} https://<host>/   (Ctrl-C stops)", flush=True)

    try:
        server.serve_forever(ready=announce)
    except OSError as exc:
        raise InputError(f"--port: cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    except KeyboardInterrupt:
        pass
    print(f"stopped after {server.stats['requests']} requests", file=sys.stderr)
    return 0


def _labels(args) -> int:
    world = build_world(args.world_set, seed=args.seed, count=args.count, as_of=_as_of(args))
    if not hasattr(world, "labels"):
        raise InputError(f"--set {args.world_set}: this simulated set has no ground-truth labels")
    n = _write_csv(Path(args.out), list(world.labels()))
    print(f"{n} labels written to {args.out}")
    return 0


def _registry(args) -> int:
    if args.world_set not in ("national", "heldout"):
        raise InputError("--set: only the national and held-out sets have a generated registry "
                         "(the Mukdahan registry is config/registry/laos.csv)")
    if args.world_set == "heldout":
        rows = _factory("heldout_registry")(seed=args.seed)
    else:
        if args.count <= 0:
            raise InputError(f"--count: must be 1 or more, not {args.count}")
        rows = _factory("registry")(seed=args.seed, count=args.count)
    n = _write_csv(Path(args.out), list(rows))
    print(f"{n} LAOs written to {args.out}")
    return 0


def run(args) -> int:
    actions = {"serve": _serve, "labels": _labels, "registry": _registry}
    action = getattr(args, "sim_action", None)
    if action not in actions:
        raise InputError("oit sim needs an action: serve, labels or registry (see oit sim --help)")
    return actions[action](args)

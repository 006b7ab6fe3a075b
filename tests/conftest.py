"""Shared pytest fixtures: the simulated web behind a proxy, and running commands in a subprocess.

* ``sim_proxy`` (session) — a SimServer for the Mukdahan world (+ the fault catalog when it
  exists) in a background thread; ``.url`` is the proxy URL, ``.ca_path`` the CA certificate,
  ``.world`` the served World, ``.server`` the SimServer. Skips with a reason while the
  simulated Mukdahan world is not built yet.
* ``run_command`` — ``run_command(argv, timeout=120, env=None, cwd=None, input=None)`` runs a
  command in its own process group and kills the whole group on timeout;
  ``run_command.oit("check", ...)`` runs the ``oit`` CLI with this interpreter.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class SimProxy:
    """A running simulated web: proxy URL, CA certificate path, the World and the server."""

    url: str
    ca_path: str
    world: object
    server: object


@pytest.fixture(scope="session")
def sim_proxy(tmp_path_factory):
    from oitsim.server import SimServer
    from oitsim.world import MultiWorld
    from oitwatch.commands.sim import build_world
    from oitwatch.errors import InputError

    try:
        worlds = [build_world("mukdahan")]
    except InputError as exc:
        pytest.skip(f"simulated Mukdahan world not available: {exc}")
    try:
        worlds.append(build_world("faults"))
    except InputError:
        pass  # the fault catalog is optional here
    world = MultiWorld(worlds)
    server = SimServer(world, ca_dir=tmp_path_factory.mktemp("sim-ca"))
    url, ca_path = server.start_in_thread()
    try:
        yield SimProxy(url=url, ca_path=ca_path, world=world, server=server)
    finally:
        server.stop()


class CommandRunner:
    """Run commands in a subprocess with a hard timeout that also kills grandchildren."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir

    def __call__(self, argv, *, timeout: float = 120, env: dict | None = None, cwd=None,
                 input: str | None = None) -> subprocess.CompletedProcess:
        path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
        full_env = dict(os.environ, OIT_DATA_DIR=str(self.data_dir), PYTHONPATH=path)
        full_env.update(env or {})
        proc = subprocess.Popen(
            [str(a) for a in argv], cwd=cwd, env=full_env, text=True, start_new_session=True,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            pytest.fail(f"{argv!r} did not finish within {timeout} s\nstdout:\n{out[-3000:]}\nstderr:\n{err[-3000:]}")
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def oit(self, *args, **kwargs) -> subprocess.CompletedProcess:
        """Run ``oit ARGS`` with the current interpreter."""
        return self([sys.executable, "-m", "oitwatch.cli", *args], **kwargs)


@pytest.fixture(scope="session")
def run_command(tmp_path_factory) -> CommandRunner:
    return CommandRunner(tmp_path_factory.mktemp("oit-data"))

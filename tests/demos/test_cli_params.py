"""The learners' client command line (demos/cli.py, which must not import the engine) agrees with
the one parameter table, runner/params.py PARAMS: same ranges, same defaults."""
import subprocess
import sys
from pathlib import Path

import pytest

from demos import cli, cpu_work
from demos.slow_server import read_query
from runner.catalog import DEMOS
from runner.params import PARAMS

ROOT = Path(__file__).resolve().parents[2]
CLIENT_FLAGS = ["n", "delay", "concurrency", "fail"]  # the rest (workers, server, timeout) are
# the runner's business: a client run by hand talks to a server someone else started


def accepts(*argv):
    try:
        return cli.parse(list(argv))
    except SystemExit:
        return None


def outside(param):
    """Values just below and just above the range."""
    step = 1 if param.kind == "int" else 0.01
    return [param.low - step, param.high + step]


@pytest.mark.parametrize("name", CLIENT_FLAGS)
def test_the_client_flags_have_the_tables_range(name, capsys):
    param = PARAMS[name]
    size = ["--n", str(int(PARAMS["n"].high))] if name == "fail" else []  # fail <= n
    for value in (param.low, param.high):
        shown = f"{value:g}"
        assert accepts(*size, f"--{name}", shown) is not None, f"--{name} {shown} refused"
    for value in outside(param):
        assert accepts(*size, f"--{name}", f"{value:g}") is None, f"--{name} {value:g} taken"
        assert "must be between" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["n", "concurrency", "fail"])
def test_the_client_defaults_are_the_tables(name):
    assert getattr(cli.parse([]), name) == PARAMS[name].default


def test_without_delay_the_server_sleeps_the_tables_default():
    assert cli.parse([]).delay is None  # the URL leaves it to the server...
    assert read_query("")[0] == PARAMS["delay"].default  # ...which sleeps the table's default
    assert read_query("delay=99")[0] == PARAMS["delay"].high


@pytest.mark.parametrize("flag, value", [("--n", "10001"), ("--concurrency", "1001"),
                                         ("--delay", "30.5"), ("--n", "0")])
def test_the_cpu_demos_refuse_what_the_table_refuses(flag, value):
    done = subprocess.run([sys.executable, "-m", "demos.cpu_threads", flag, value], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "must be between" in done.stderr.splitlines()[-1]


def test_the_cpu_demos_defaults_are_the_catalogs():
    args, defaults = vars(cpu_work.parse([])), DEMOS["cpu_threads"].defaults
    assert DEMOS["cpu_processes"].defaults == defaults
    assert {name: args[name] for name in ("n", "concurrency", "delay")} == \
        {name: defaults[name] for name in ("n", "concurrency", "delay")}

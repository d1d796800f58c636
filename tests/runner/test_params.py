"""Parameter validation (runner/params.py) and the catalog (runner/catalog.py)."""
import importlib

import pytest

from runner.catalog import DEMOS
from runner.params import DEFAULTS as BASE_DEFAULTS
from runner.catalog import validate
from runner.params import PARAMS, ParamError, UnknownDemo


def test_defaults_fill_every_parameter():
    assert validate("threads") == DEMOS["threads"].defaults
    assert set(validate("sync", {})) == set(BASE_DEFAULTS)


@pytest.mark.parametrize("raw, clean", [
    ({"n": 5}, {"n": 5}),
    ({"n": "5", "delay": "0.25"}, {"n": 5, "delay": 0.25}),  # from a command line
    ({"n": 5.0, "delay": 1}, {"n": 5, "delay": 1.0}),  # JSON numbers
    ({"server": "asyncio", "fail": 2, "n": 3}, {"server": "asyncio", "fail": 2}),
    ({"n": None}, {"n": 3}),
])
def test_good_values_are_cleaned(raw, clean):
    params = validate("threads", raw)
    assert {name: params[name] for name in clean} == clean
    assert all(type(params[name]) is type(value) for name, value in clean.items())


@pytest.mark.parametrize("raw, reason", [
    ({"n": True}, "n must be a number"),
    ({"n": 0}, "n must be between 1 and 10000"),
    ({"n": 10_001}, "n must be between"),
    ({"n": 2.5}, "n must be an integer"),
    ({"n": "three"}, "n must be an integer"),
    ({"workers": 33}, "workers must be between 1 and 32"),
    ({"delay": -0.1}, "delay must be between 0 and 30"),
    ({"delay": "inf"}, "delay must be a finite number"),
    ({"delay": [1]}, "delay must be a number"),
    ({"concurrency": 1001}, "concurrency must be between"),
    ({"fail": 4, "n": 3}, "fail must be between 0 and n (3)"),
    ({"server": "nginx"}, "server must be one of gunicorn, asyncio"),
    ({"timeout": 0.5}, "timeout must be between 1 and 600"),
    ({"url": "http://x/"}, "unknown parameter 'url'"),
])
def test_bad_values_raise_a_one_line_reason(raw, reason):
    with pytest.raises(ParamError) as caught:
        validate("threads", raw)
    assert reason in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("demo_id", ["nope", "", None, 3, "../demos/run"])
def test_unknown_demo(demo_id):
    with pytest.raises(UnknownDemo):
        validate(demo_id, {})


def test_parameters_must_be_an_object():
    with pytest.raises(ParamError):
        validate("sync", [1, 2])


@pytest.mark.parametrize("demo", DEMOS.values(), ids=list(DEMOS))
def test_every_demo_module_has_its_entry_point(demo):
    from runner.pythons import problem
    if problem(demo.python):  # e.g. cpu_interpreters imports what only 3.14 has
        pytest.skip(problem(demo.python))
    module = importlib.import_module(demo.module)
    entry = {"client": "fetch_all", "cpu": "work_all", "server": "serve"}[demo.kind]
    assert callable(getattr(module, entry))
    assert demo.as_json()["module"] == demo.module
    assert demo.ideal(demo.defaults) > 0


@pytest.mark.parametrize("demo_id, params, ideal", [
    ("sync", {"n": 3, "delay": 1}, 3.0),
    ("threads", {"n": 9, "workers": 3, "delay": 1}, 3.0),
    ("threads", {"n": 9, "server": "asyncio", "delay": 1}, 1.0),
    ("asyncio_semaphore", {"n": 9, "concurrency": 3, "workers": 30, "delay": 1}, 3.0),
    ("processes", {"n": 9, "concurrency": 5, "workers": 3, "delay": 1}, 3.0),
    ("thread_pool", {"n": 10, "concurrency": 4, "server": "asyncio", "delay": 1}, 3.0),
    ("cpu_threads", {"n": 4, "concurrency": 2, "delay": 0.5}, 2.0),
    ("server_sequential", {"n": 10, "delay": 1}, 10.0),
    ("server_threaded", {"n": 10, "delay": 1}, 1.0),
    ("server_pool", {"n": 10, "workers": 3, "delay": 1}, 4.0),
])
def test_ideal_is_the_physical_limit(demo_id, params, ideal):
    assert DEMOS[demo_id].ideal(validate(demo_id, params)) == pytest.approx(ideal)


def test_the_docs_table_is_written_from_params():
    from runner import paramdoc
    text = paramdoc.DOC.read_text(encoding="utf-8")
    assert paramdoc.written(text) == text, "run python -m runner.paramdoc"
    for param in PARAMS.values():
        assert f"| `{param.name}` | {param.kind} |" in text


def test_a_stale_docs_table_is_seen():
    from runner import paramdoc
    stale = paramdoc.written(paramdoc.DOC.read_text(encoding="utf-8")).replace("1–10000", "1–99")
    assert paramdoc.written(stale) != stale

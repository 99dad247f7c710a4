"""``train_many`` on real engines: a Dask ``LocalCluster`` and a local Ray, through joblib's backends.

Everything runs as the README shows it (``with joblib.parallel_backend("dask" | "ray"): train_many(...)``)
on real worker processes with one thread each, and must give the sequential route's models bit for bit,
write and reuse the disk cache, show the progress bar, and turn a model that fails on a worker into a
clear error in the caller with the cluster still usable. Marker ``cluster``; the engines come with
``pip install -e ".[cluster]"`` (and requirements.txt, so ``make test`` runs these). Without them the
tests skip, except under ``CI=true``, where a missing engine is a failure.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import joblib
import numpy as np
import pytest

from mia_edu.data import load_dataset
from mia_edu.splits import random_subsets
from mia_edu.training import TrainConfig, model_seeds, train_many

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(600)]

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # offline: a local Ray must not report usage anywhere
TESTS = Path(__file__).resolve().parent
README = (TESTS.parent / "README.md").read_text()
CONFIG = TrainConfig(epochs=40, hidden=32)
K = 6


def _engine(module: str):
    try:
        return pytest.importorskip(module, reason=f"{module} not installed: pip install -e '.[cluster]'")
    except pytest.skip.Exception:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{module} is missing in CI; the cluster tests must run there (requirements.txt)")
        raise


@contextlib.contextmanager
def _workers_import_tests():
    """Worker processes inherit the environment at start: let them import tests/_cluster_helpers."""
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(TESTS)] + ([before] if before else []))
    try:
        yield
    finally:
        if before is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = before


def _ray_start(start, attempts: int = 3):
    """Ray gives its raylet a fixed 30 s to register; on an overloaded machine (a shared 2-core CI box)
    that can pass, and ``ray.init`` raises "timed out during startup". Shut down and try again."""
    import ray

    for attempt in range(attempts):
        try:
            return start()
        except Exception as exc:  # ray raises a bare Exception here
            if "timed out during startup" not in str(exc) or attempt == attempts - 1:
                raise
            ray.shutdown()


@pytest.fixture(scope="module")
def digits():
    ds = load_dataset("digits")
    return ds.X[:300], ds.y[:300]


@pytest.fixture(scope="module")
def subsets():
    return random_subsets(300, K, seed=4)


@pytest.fixture(scope="module")
def sequential(digits, subsets):
    X, y = digits
    return train_many(CONFIG, X, y, subsets, n_classes=10, route="sequential", progress=False, use_cache=False)


# ---------------------------------------------------------------- the README's snippets, first (own engines)

def _readme_cluster_blocks() -> list[str]:
    blocks = [b for b in re.findall(r"```python\n(.*?)```", README, re.S) if "parallel_backend" in b]
    assert len(blocks) == 2 and "dask" in blocks[0] and "ray" in blocks[1], "README: the Dask then the Ray snippet"
    return blocks


def test_readme_dask_and_ray_snippets_run(tmp_path, monkeypatch):
    """Executed as written, with fewer models (the line ``n_models = 256`` becomes 4)."""
    _engine("dask.distributed")
    _engine("ray")
    namespace: dict = {}
    blocks = _readme_cluster_blocks()
    assert "n_models = 256" in blocks[0]
    for i, block in enumerate(blocks):  # the Ray block reuses ds and subsets from the Dask block, as a reader would
        monkeypatch.setenv("MIA_EDU_CACHE", str(tmp_path / str(i)))  # each engine trains (no cache hits)
        code = compile(block.replace("n_models = 256", "n_models = 4"), "README.md", "exec")
        _ray_start(lambda code=code: exec(code, namespace)) if i else exec(code, namespace)
        bank = namespace["bank"]
        assert len(bank) == 4 and bank.route == "processes" and namespace["logits"].shape == (4, 5000, 10)
    ray = namespace["ray"]
    assert not ray.is_initialized()  # the snippet shuts its engine down


# ---------------------------------------------------------------- real engines

@pytest.fixture(scope="module")
def dask_client():
    distributed = _engine("dask.distributed")
    with _workers_import_tests():
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=":0")
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def ray_runtime():
    ray = _engine("ray")
    from ray.util.joblib import register_ray

    with _workers_import_tests():
        _ray_start(lambda: ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False))
    register_ray()
    yield ray
    ray.shutdown()


@pytest.fixture(params=["dask", "ray"])
def engine(request):
    """The joblib backend's name, with its engine running."""
    request.getfixturevalue({"dask": "dask_client", "ray": "ray_runtime"}[request.param])
    return request.param


def _workers_used(engine: str, run):
    """Run ``run()`` and return the worker process ids that did the work (not the caller's)."""
    if engine == "dask":
        from dask.distributed import get_task_stream

        with get_task_stream() as stream:
            result = run()
        return result, {task["worker"] for task in stream.data}
    return run(), None


def test_engine_gives_the_sequential_models_bit_for_bit_and_fills_the_cache(engine, digits, subsets, sequential,
                                                                          tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MIA_EDU_CACHE", str(tmp_path))
    X, y = digits
    with joblib.parallel_backend(engine):
        bank, workers = _workers_used(engine, lambda: train_many(CONFIG, X, y, subsets, n_classes=10))
    assert bank.route == "processes" and not bank.from_cache.any()
    assert workers is None or len(workers) >= 1  # dask: the tasks ran on the cluster's workers
    np.testing.assert_array_equal(bank.logits(X), sequential.logits(X))
    for ours, theirs in zip(bank.histories, sequential.histories):
        np.testing.assert_array_equal(ours["train_loss"], theirs["train_loss"])
    assert f"{K}/{K}" in capsys.readouterr().err  # the progress bar reached the end
    assert len(list((tmp_path / "models").glob("*.npz"))) == K  # written by the caller, one per model

    with joblib.parallel_backend(engine):
        again = train_many(CONFIG, X, y, subsets, n_classes=10, progress=False)
    assert again.route == "cache" and again.from_cache.all()
    np.testing.assert_array_equal(again.logits(X), sequential.logits(X))
    # a bank that grows by two models trains only those two, on the engine
    grown = np.vstack([subsets, random_subsets(300, 2, seed=11)])
    with joblib.parallel_backend(engine):
        bigger = train_many(CONFIG, X, y, grown, n_classes=10, progress=False)
    assert bigger.from_cache.tolist() == [True] * K + [False, False]


def test_a_model_failing_on_a_worker_raises_in_the_caller_and_the_engine_still_works(engine, digits, subsets,
                                                                                  sequential):
    from _cluster_helpers import FailsInWorker

    X, y = digits
    fields = {f: getattr(CONFIG, f) for f in ("epochs", "hidden")}
    broken = FailsInWorker(**fields, fail_seed=int(model_seeds(CONFIG.seed, K)[2]), home_pid=os.getpid())
    with joblib.parallel_backend(engine):
        with pytest.raises(RuntimeError, match="fails on purpose"):
            train_many(broken, X, y, subsets, n_classes=10, progress=False, use_cache=False)
        # not a hung cluster: the next call on the same engine trains and gives the right models
        bank = train_many(CONFIG, X, y, subsets[:2], n_classes=10, progress=False, use_cache=False)
    np.testing.assert_array_equal(bank.logits(X), sequential.logits(X)[:2])

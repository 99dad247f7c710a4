"""Shared fixtures: an isolated model cache, and no network at all (the course is offline)."""

from __future__ import annotations

import ipaddress
import os
import socket

import matplotlib
import pytest

matplotlib.use("Agg")


def pytest_configure(config):
    # One fresh cache per test session (notebook kernels inherit it), so tests never depend on a
    # developer's warm cache and never write into it.
    if "MIA_EDU_CACHE" not in os.environ or os.environ.get("MIA_EDU_TEST_KEEP_CACHE") != "1":
        import tempfile

        os.environ["MIA_EDU_CACHE"] = tempfile.mkdtemp(prefix="mia_edu_test_cache_")


def _is_local(address) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
    else:
        return True  # AF_UNIX paths and the like
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail any attempt to reach a non-loopback address from the test process."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guard(real):
        def connect(self, address):
            if not _is_local(address):
                raise RuntimeError(f"network access attempted in a test: {address!r} (mia-edu is offline)")
            return real(self, address)
        return connect

    monkeypatch.setattr(socket.socket, "connect", guard(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guard(real_connect_ex))
    yield


_EXECUTED: dict = {}
_PROBED: dict = {}  # path -> {"cells": [the instructor-notes probe cell, executed]}


@pytest.fixture(scope="session")
def executed_notebook():
    """``get(path) -> (notebook, seconds)``: each notebook is executed at most once per test session.

    `test_notebooks.py` (which checks that it runs) and `test_prose_numbers.py` (which checks the
    numbers its prose quotes against its outputs) share the one execution. An execution error is
    raised again to every caller.
    """
    import sys
    import time
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from instructor_notes import instructor_probe

    def get(path):
        key = str(path)
        if key not in _EXECUTED:
            import nbformat
            from nbclient import NotebookClient

            nb = nbformat.read(path, as_version=4)
            probe = instructor_probe(path)  # tools/instructor_notes.py: the numbers its instructor note quotes
            if probe is not None:
                nb.cells.append(probe)
            client = NotebookClient(nb, timeout=600, kernel_name="python3",
                                    resources={"metadata": {"path": str(path.parent)}})
            start = time.perf_counter()
            try:
                client.execute()
                _EXECUTED[key] = (nb, time.perf_counter() - start, None)
            except Exception as err:  # noqa: BLE001 - stored and re-raised to every caller
                _EXECUTED[key] = (nb, time.perf_counter() - start, err)
            if probe is not None:  # kept apart: every other test sees the notebook as committed
                _PROBED[key] = {"cells": [nb.cells.pop()]}
        nb, seconds, err = _EXECUTED[key]
        if err is not None:
            raise err
        return nb, seconds

    get.probe = lambda path: _PROBED.get(str(path))
    return get

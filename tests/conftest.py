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

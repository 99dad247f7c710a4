"""The README's code runs as written (a stale example is a defect like any other)."""

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
BLOCKS = [b for b in re.findall(r"```python\n(.*?)```", README, re.S) if "parallel_backend" not in b]  # cluster snippets: test_cluster.py


def test_readme_has_examples():
    assert len(BLOCKS) >= 2


def test_readme_examples_run(capsys):
    namespace: dict = {}
    for block in BLOCKS:  # later blocks use names from earlier ones, as a reader would
        exec(compile(block, "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    auc = float(re.search(r"'auc': ([0-9.]+)", out).group(1))
    assert auc == pytest.approx(0.742, abs=0.02)  # the loss attack on the default target, as the README says

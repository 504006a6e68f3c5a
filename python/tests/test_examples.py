"""Every script under examples/python runs as written from the checkout root."""

import subprocess
import sys

import pytest

from conftest import ROOT

EXAMPLES = sorted((ROOT / "examples" / "python").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(script):
    done = subprocess.run([sys.executable, script], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_examples_are_there():
    assert {p.stem for p in EXAMPLES} >= {"thrml_readme", "potts", "dtm_tiny", "chip_vs_ideal"}


def test_chip_example_writes_its_plot():
    subprocess.run([sys.executable, ROOT / "examples/python/chip_vs_ideal.py"], cwd=ROOT, check=True,
                   capture_output=True)
    assert (ROOT / "out/examples/chip_vs_ideal.png").stat().st_size > 10_000

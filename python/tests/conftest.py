"""Paths the Python tests share: the checkout, its examples and the CLI built beside the package."""

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def root():
    return ROOT


@pytest.fixture(scope="session")
def cli():
    """The tsu executable of `make build`; the CLI-parity tests need it."""
    path = ROOT / "build" / "apps" / "tsu" / "tsu"
    if not path.exists():
        pytest.skip(f"{path} is not built (make build)")
    return path

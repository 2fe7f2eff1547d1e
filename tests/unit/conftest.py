"""The unit subset uses toy data only; asking for the shared corpora here fails loudly.

A test below ``tests/unit`` that asks for ``data_dir``, directly or through a fixture built
on it (``m30k_bin``, ``m30k_spm``, ...), fails at once with a message saying so. Every test
also runs with ``SEQ2SEQ_DATA_DIR`` pointing at a folder that does not exist, so a tool it
starts that would look for a corpus fails instead of quietly reading ``../shared/data``.

``tests/unit/__init__.py`` makes this folder a package, so that this file is imported as
``unit.conftest``, apart from ``tests/conftest.py``.
"""
import pytest


@pytest.fixture(scope="session")
def data_dir():
    pytest.fail("a unit test asked for the shared data (data_dir); write toy data in "
                "tmp_path instead, or move the test to tests/integration")


@pytest.fixture(autouse=True)
def no_shared_data(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("SEQ2SEQ_DATA_DIR",
                       str(tmp_path_factory.getbasetemp() / "no-shared-data-in-unit-tests"))

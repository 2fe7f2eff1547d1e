"""The unit subset uses toy data only; asking for the shared corpora here fails loudly.

A test below ``tests/unit`` that asks for ``data_dir``, directly or through a fixture built
on it (``m30k_bin``, ``m30k_spm``, ...), fails at once with a message saying so. Every test
also runs with ``SEQ2SEQ_DATA_DIR`` pointing at a folder that does not exist, so a tool it
starts that would look for a corpus fails instead of quietly reading ``../shared/data``.

``tests/unit/__init__.py`` makes this folder a package, so that this file is imported as
``unit.conftest``, apart from ``tests/conftest.py``.
"""
import pytest

from support import VARIANTS, build, needs_joined, write_toy_corpus


@pytest.fixture(scope="session")
def data_dir():
    pytest.fail("a unit test asked for the shared data (data_dir); write toy data in "
                "tmp_path instead, or move the test to tests/integration")


@pytest.fixture(autouse=True)
def no_shared_data(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("SEQ2SEQ_DATA_DIR",
                       str(tmp_path_factory.getbasetemp() / "no-shared-data-in-unit-tests"))


@pytest.fixture(scope="session")
def toy_data(tmp_path_factory):
    """The toy de-en corpus (``support.write_toy_corpus``: 24 pairs of 3 to 14 words), a
    dictionary per language (42 and 40 words, plus 4 specials)."""
    return write_toy_corpus(tmp_path_factory.mktemp("toy"), joined=False)


@pytest.fixture(scope="session")
def toy_joined_data(tmp_path_factory):
    """The same corpus with one joined dictionary (shared embeddings, copy attention)."""
    return write_toy_corpus(tmp_path_factory.mktemp("toy_joined"), joined=True)


@pytest.fixture(scope="module", params=list(VARIANTS))
def variant(request, toy_data, toy_joined_data):
    """A toy model of each of ``support.VARIANTS`` (every architecture and decoder path):
    (task, model in eval mode), built once a test module."""
    arch, extra = VARIANTS[request.param]
    task, model = build(toy_joined_data if needs_joined(arch, extra) else toy_data, arch, extra)
    return task, model.eval()

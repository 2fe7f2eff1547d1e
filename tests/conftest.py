"""pytest fixtures shared by the unit and integration tests: the real data and the corpora
and checkpoint built from it once a session. The helpers they use, and the tests import,
are in ``support.py``.
"""
import pytest

from support import DATA_DIR, binarise_multi30k, prepare_multi30k_slice, run, train_cmd


@pytest.fixture(scope="session")
def data_dir():
    if not DATA_DIR.is_dir():
        pytest.fail(f"real data not found at {DATA_DIR}; set SEQ2SEQ_DATA_DIR")
    return DATA_DIR


@pytest.fixture(scope="session")
def m30k_bin(data_dir, tmp_path_factory):
    """Word-level de-en Multi30k slice (1000 train, 100 valid, 100 test), separate dictionaries."""
    return binarise_multi30k(data_dir, tmp_path_factory.mktemp("m30k"))


@pytest.fixture(scope="session")
def m30k_joined_bin(data_dir, tmp_path_factory):
    """The same slice with one joined dictionary, for shared embeddings."""
    return binarise_multi30k(data_dir, tmp_path_factory.mktemp("m30k_joined"), joined=True)


@pytest.fixture(scope="session")
def m30k_spm(data_dir, tmp_path_factory):
    """Joint sentencepiece de-en slice with a joined dictionary (prepare.json, raw/, bin/)."""
    return prepare_multi30k_slice(data_dir, tmp_path_factory.mktemp("m30k_spm") / "data",
                                  extra=["--joint", "--joined-dictionary"])


@pytest.fixture(scope="session")
def tiny_checkpoint(m30k_spm, tmp_path_factory):
    """A translation checkpoint of ``m30k_spm`` after 20 updates, for the tests that only
    read it (what it translates to does not matter there): (data folder, checkpoint)."""
    save = tmp_path_factory.mktemp("tiny_checkpoint")
    run(train_cmd(m30k_spm / "bin", save, updates=20))
    return m30k_spm, save / "checkpoint_last.pt"


@pytest.fixture(scope="session")
def gec_model(tmp_path_factory):
    """A tiny GEC model that corrects its template corpus (``support.train_gec_model``,
    about 10 s, no shared data): (data bin folder, checkpoint)."""
    from support import train_gec_model

    return train_gec_model(tmp_path_factory.mktemp("gec_model"))


CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Debian's headless chromium driven by selenium (the server's web page), nothing
    downloaded at run time; skipped in one line where either is not installed."""
    import os

    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed")
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("chromium or chromium-driver not installed (apt-get install chromium "
                    "chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--window-size=1000,760",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()

"""fairseq_plugins.compat: each fix guarded by the versions that trigger it, each with its test.

The guard is tested on toy fix modules; the fixes are process-wide patches, so the tests
that show a fix working run a fresh interpreter that imports the plugin (as every fairseq
CLI does with --user-dir).
"""
import ast
import logging
import subprocess
import sys
import types

import pytest
from packaging.specifiers import SpecifierSet

from support import REPO, run
from fairseq_plugins import compat


def _python(code: str) -> subprocess.CompletedProcess:
    return run([sys.executable, "-c", code], cwd=REPO, check=False, timeout=120)


def _fix_modules():
    return [__import__(f"fairseq_plugins.compat.{name}", fromlist=["apply"])
            for name in compat.FIXES]


@pytest.mark.parametrize("module", _fix_modules(), ids=lambda m: m.__name__.rsplit(".")[-1])
def test_every_fix_states_its_problem_versions_and_an_existing_test(module):
    assert module.PROBLEM and "\n" not in module.PROBLEM
    stated = compat.versions(module)
    assert "fairseq" in stated and set(stated) <= set(compat.PACKAGES)
    for specifiers in stated.values():
        assert specifiers and SpecifierSet(",".join(specifiers))   # parses
    path, _, name = module.TEST.partition("::")
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    tests = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert name in tests, f"{module.__name__}.TEST names {module.TEST}, which does not exist"


def _toy_fix(name, **versions):
    """A fix module for ``compat.apply_fix``, recording its applications in ``.applied``."""
    fake = types.ModuleType(f"fairseq_plugins.compat.{name}")
    fake.PROBLEM, fake.TEST = f"the problem {name} fixes", "none"
    fake.VERSIONS = {"fairseq": (">=0.12.0", "<0.13"), **versions}
    fake.applied = []
    fake.apply = lambda: fake.applied.append(True)
    return fake


@pytest.fixture
def versions_of(monkeypatch):
    """Pretend the running packages have the given versions; a fresh record of fixes."""
    monkeypatch.setattr(compat, "_applied", {})

    def pretend(**running):
        running = {"fairseq": "0.12.3.1", "torch": "2.6.0", "numpy": "2.0.0",
                   "python": "3.11.7", **running}
        monkeypatch.setattr(compat, "package_version", running.__getitem__)
    pretend()
    return pretend


@pytest.mark.parametrize("package, excluding", [("torch", (">=2.6",)), ("numpy", (">=2",)),
                                                ("python", ("<3.11",))])
def test_a_fix_whose_trigger_is_absent_is_not_applied_and_logs_at_debug_only(
        versions_of, caplog, package, excluding):
    versions_of(torch="2.5.1", numpy="1.26.4", python="3.11.7")
    fix = _toy_fix("needs_" + package, **{package: excluding})
    with caplog.at_level(logging.DEBUG, logger="fairseq_plugins.compat"):
        assert compat.apply_fix(fix) is False
        assert compat.apply_fix(fix) is False
    assert fix.applied == []
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]
    assert package in caplog.records[0].getMessage()


def test_a_fix_is_applied_once_where_all_its_versions_hold(versions_of):
    versions_of(torch="2.6.0", numpy="2.0.0", python="3.13.1")
    fix = _toy_fix("all_hold", torch=(">=2.6",), numpy=(">=2",), python=("<3.14",))
    assert compat.apply_fix(fix) is True
    assert compat.apply_fix(fix) is True
    assert fix.applied == [True]


def test_a_fix_outside_its_fairseq_versions_is_not_applied_and_says_so(versions_of, caplog):
    versions_of(fairseq="0.13.0")
    fix = _toy_fix("fake_fix")
    with caplog.at_level(logging.DEBUG, logger="fairseq_plugins.compat"):
        assert compat.apply_fix(fix) is False
        assert compat.apply_fix(fix) is False   # once: no second warning
    assert fix.applied == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert "'fake_fix'" in warnings[0] and "0.13.0" in warnings[0]


def test_an_absent_trigger_is_not_a_warning_whatever_fairseq_is(versions_of, caplog):
    # PyTorch 2.5 never needs the fix, so a newer fairseq is nothing to warn about
    versions_of(fairseq="0.13.0", torch="2.5.1")
    fix = _toy_fix("torch_only", torch=(">=2.6",))
    with caplog.at_level(logging.DEBUG, logger="fairseq_plugins.compat"):
        assert compat.apply_fix(fix) is False
    assert fix.applied == []
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]


def test_versions_compare_as_pep_440_with_local_builds_and_pre_releases():
    assert compat.holds("0.12.3.1", (">=0.12.0", "<0.13"))
    assert compat.holds("0.12.10", (">=0.12.0", "<0.13"))
    assert not compat.holds("0.13.0", (">=0.12.0", "<0.13"))
    assert not compat.holds("0.9.0", (">=0.12.0", "<0.13"))
    assert compat.holds("2.13.0+cpu", (">=2.6",))        # a local build
    assert compat.holds("2.7.0a0+git1234567", (">=2.6",))  # a nightly
    assert not compat.holds("2.5.1+cu121", (">=2.6",))
    assert compat.holds("3.11.7", ("<3.14",)) and not compat.holds("3.14.0", ("<3.14",))


def test_the_running_versions_are_read_from_the_packages():
    import fairseq
    import numpy
    import torch

    assert compat.package_version("fairseq") == fairseq.__version__
    assert compat.package_version("torch") == str(torch.__version__)
    assert compat.package_version("numpy") == numpy.__version__
    assert compat.package_version("python") == "{}.{}.{}".format(*sys.version_info[:3])
    with pytest.raises(ValueError, match="no version known"):
        compat.package_version("scipy")


def test_clean_exit_stops_and_joins_a_blocked_prefetcher():
    # a prefetching thread blocked on a full queue, as at the end of an early-stopped run
    out = _python(
        "import itertools, queue\n"
        "import fairseq_plugins\n"
        "from fairseq.data import iterators\n"
        "from fairseq_plugins.compat import clean_exit\n"
        "q = queue.Queue(maxsize=1)\n"
        "t = iterators.BackgroundConsumer(q, itertools.count(), None, None)\n"
        "t.daemon = True\n"
        "t.start()\n"
        "clean_exit.stop_consumers(timeout=5)\n"
        "print('alive' if t.is_alive() else 'joined')\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "joined"


def test_token_block_dataset_builds_under_numpy_2():
    # --task language_modeling's dataset: fairseq 0.12 asks NumPy 2 for np.compat.long
    out = _python(
        "import torch\n"
        "import fairseq_plugins\n"
        "from fairseq.data import TokenBlockDataset\n"
        "docs = [torch.tensor([4, 5, 2]), torch.tensor([6, 2])]\n"
        "ds = TokenBlockDataset(docs, [3, 2], block_size=None, pad=1, eos=2,"
        " break_mode='eos')\n"
        "print(len(ds), ds[1].tolist())\n")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "2 [6, 2]"


_EPOCH_ORDERS = """
import sys, torch
if sys.argv[1] == "fixed":
    import fairseq_plugins  # noqa: F401  (applies the fixes)
from fairseq.data import iterators
from fairseq.data import ListDataset
data = list(range(40))
itr = iterators.EpochBatchIterator(dataset=ListDataset(data), collate_fn=lambda b: b[0],
                                   batch_sampler=[[i] for i in data], seed=1,
                                   reuse_dataloader=True)
orders = []
for epoch in (1, 2, 3):
    # as fairseq_cli/train.py with --curriculum 1: epoch 1 in order, the rest shuffled
    orders.append(list(itr.next_epoch_itr(shuffle=epoch > 1)))
print(orders[0] == data, orders[1] == data, orders[1] == orders[2])
"""


@pytest.mark.parametrize("which, expected", [("fixed", "True False False"),
                                             ("fairseq", "True True True")])
def test_epochs_after_the_curriculum_are_shuffled(which, expected):
    # fairseq alone: the reused sampler keeps the curriculum epoch's order for ever
    proc = run([sys.executable, "-c", _EPOCH_ORDERS, which], cwd=REPO, timeout=120)
    assert proc.stdout.split() == expected.split()

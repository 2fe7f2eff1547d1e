"""fairseq_plugins.compat: each fix guarded by its fairseq versions, each with its test.

The fixes are process-wide patches, so the tests that show a fix working run a fresh
interpreter that imports the plugin (as every fairseq CLI does with --user-dir).
"""
import ast
import logging
import subprocess
import sys
import types

import pytest

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
    lowest, below = module.FAIRSEQ_VERSIONS
    assert compat.in_range(lowest, module.FAIRSEQ_VERSIONS)
    assert not compat.in_range(below, module.FAIRSEQ_VERSIONS)
    path, _, name = module.TEST.partition("::")
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    tests = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert name in tests, f"{module.__name__}.TEST names {module.TEST}, which does not exist"


def test_a_fix_outside_its_fairseq_versions_is_not_applied_and_says_so(caplog):
    applied = []
    fake = types.ModuleType("fairseq_plugins.compat.fake_fix")
    fake.PROBLEM, fake.TEST = "something fairseq 0.11 did", "none"
    fake.FAIRSEQ_VERSIONS = ("0.11.0", "0.12")
    fake.apply = lambda: applied.append(True)
    with caplog.at_level(logging.WARNING, logger="fairseq_plugins.compat"):
        assert compat.apply_fix(fake) is False
        assert compat.apply_fix(fake) is True   # once: no second warning
    assert applied == []
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert "'fake_fix'" in warnings[0] and compat.fairseq_version() in warnings[0]


def test_version_ranges_compare_numerically():
    assert compat.in_range("0.12.3.1", ("0.12.0", "0.13"))
    assert compat.in_range("0.12.10", ("0.12.0", "0.13"))
    assert not compat.in_range("0.13.0", ("0.12.0", "0.13"))
    assert not compat.in_range("0.9.0", ("0.12.0", "0.13"))


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

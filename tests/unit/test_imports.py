"""What importing costs: data preparation starts without fairseq or torch, and loading the
plugin as fairseq's CLIs load it (``--user-dir``) registers every model, architecture, task
and criterion of its source. Each check runs in a fresh interpreter (``sys.modules`` of
this one holds fairseq already)."""
import json
import pkgutil
import re
import subprocess
import sys


from support import PLUGIN_DIR, REPO

import preprocess

def preprocess_modules():
    return sorted(info.name for info in pkgutil.walk_packages(preprocess.__path__, "preprocess.")
                  if not info.name.endswith("__main__"))


def heavy_imports(modules):
    """For each of ``modules``, imported in turn in one fresh interpreter: whether torch or
    fairseq was in ``sys.modules`` after it."""
    code = ("import importlib, json, sys\n"
            "seen = {}\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            "    seen[name] = sorted(m for m in ('torch', 'fairseq') if m in sys.modules)\n"
            "print(json.dumps(seen))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_preprocess_and_its_modules_import_neither_torch_nor_fairseq():
    modules = ["preprocess"] + [m for m in preprocess_modules()]
    assert {"preprocess.prepare", "preprocess.gec_data", "preprocess.noise.spellchecker",
            "preprocess.texttools.gleu"} <= set(modules)
    seen = heavy_imports(modules)
    assert {name: heavy for name, heavy in seen.items() if heavy} == {}


def registered_in_source():
    """The names the plugin's source registers: (kind, name) for each decorator."""
    names = set()
    for path in PLUGIN_DIR.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for kind, name in re.findall(r'@register_(model|task|criterion)\("(\w+)"', text):
            names.add((kind, name))
    return names


def test_loading_the_plugin_as_fairseq_does_registers_every_model_task_and_criterion(tmp_path):
    expected = registered_in_source()
    assert {("task", "gec"), ("criterion", "edit_weighted_cross_entropy")} <= expected
    expected.add(("model", "rnn_seq2seq"))   # registered under its constant, MODEL_NAME
    code = ("import json\n"
            "from argparse import Namespace\n"
            "from fairseq import utils\n"
            f"utils.import_user_module(Namespace(user_dir={str(PLUGIN_DIR)!r}))\n"
            "from fairseq.models import ARCH_MODEL_REGISTRY, MODEL_REGISTRY\n"
            "from fairseq.tasks import TASK_REGISTRY\n"
            "from fairseq.criterions import CRITERION_REGISTRY\n"
            "from fairseq_plugins.models.rnn_seq2seq import PRESETS\n"
            "import fairseq_plugins.text.errors as old, preprocess.texttools.errors as new\n"
            "print(json.dumps({'model': sorted(MODEL_REGISTRY), 'task': sorted(TASK_REGISTRY),\n"
            "    'criterion': sorted(CRITERION_REGISTRY), 'arch': sorted(ARCH_MODEL_REGISTRY),\n"
            "    'presets': sorted(PRESETS), 'alias': old is new}))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    registries = json.loads(proc.stdout.strip().splitlines()[-1])
    missing = {(kind, name) for kind, name in expected if name not in registries[kind]}
    assert missing == set()
    assert {"rnn_luong", "rnn_bahdanau", "rnn_gec"} <= set(registries["presets"])
    assert set(registries["presets"]) <= set(registries["arch"])
    assert registries["alias"] is True   # the old name is the same module

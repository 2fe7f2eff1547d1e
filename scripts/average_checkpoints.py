#!/usr/bin/env python
"""Average the weights of several fairseq checkpoints into one.

fairseq's own ``scripts/average_checkpoints.py`` is not part of the PyPI package, so the
plugin carries one with the same options. The last checkpoints of a run often sit on a
plateau of the validation score, each a little off in its own direction; their mean is a
single model that decodes at the cost of one, unlike an ensemble.

Examples::

    # the 5 newest interval checkpoints (checkpoint_E_U.pt) of a run
    python scripts/average_checkpoints.py --inputs runs/gec/checkpoints \\
        --num-update-checkpoints 5 --output runs/gec/checkpoints/checkpoint_avg5.pt
    # or named files
    python scripts/average_checkpoints.py --inputs a.pt b.pt --output avg.pt

The output keeps everything of the first input (the newest, when they are picked from a
folder: its configuration, optimizer history) with the model's floating-point tensors
replaced by their mean over the inputs (computed in float32, stored in each tensor's own
dtype); integer tensors must agree. Inputs of different models (other parameter names or
shapes) are an error, and an existing output is not overwritten without ``--force``.
"""
import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import InputError, import_fairseq_plugin, run_main  # noqa: E402

#: fairseq's interval checkpoint names: checkpoint_<epoch>_<updates>.pt / checkpoint<epoch>.pt
UPDATE_NAME = re.compile(r"checkpoint_\d+_(\d+)\.pt")
EPOCH_NAME = re.compile(r"checkpoint(\d+)\.pt")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--inputs", nargs="+", required=True,
                   help="checkpoint files, or one folder with --num-update-checkpoints or "
                        "--num-epoch-checkpoints")
    p.add_argument("--output", required=True, help="the averaged checkpoint to write")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--num-update-checkpoints", type=int, metavar="N",
                       help="average the N newest checkpoint_E_U.pt of the folder")
    which.add_argument("--num-epoch-checkpoints", type=int, metavar="N",
                       help="average the N newest checkpointE.pt of the folder")
    p.add_argument("--force", action="store_true", help="overwrite --output if it exists")
    return p.parse_args(argv)


def newest(folder: Path, pattern, shape: str, n: int):
    """The ``n`` files of ``folder`` whose name matches ``pattern`` (``shape`` says how, for
    the error), highest number first."""
    if not folder.is_dir():
        raise InputError(f"checkpoint folder {folder} not found")
    numbered = sorted(((int(m.group(1)), f) for f in folder.iterdir()
                       if (m := pattern.fullmatch(f.name))), reverse=True)
    if len(numbered) < n:
        raise InputError(f"{folder} has {len(numbered)} checkpoints named {shape}, "
                         f"fewer than the {n} asked for")
    return [f for _, f in numbered[:n]]


def select_inputs(args):
    """Checkpoint paths, newest first when picked from a folder."""
    by_update = args.num_update_checkpoints is not None
    n = args.num_update_checkpoints if by_update else args.num_epoch_checkpoints
    if n is None:
        return [Path(x) for x in args.inputs]
    if n < 1:
        raise InputError(f"the number of checkpoints must be at least 1, got {n}")
    if len(args.inputs) != 1:
        raise InputError("--num-update-checkpoints/--num-epoch-checkpoints take one folder "
                         f"as --inputs, got {len(args.inputs)} paths")
    if by_update:
        return newest(Path(args.inputs[0]), UPDATE_NAME, "checkpoint_EPOCH_UPDATES.pt", n)
    return newest(Path(args.inputs[0]), EPOCH_NAME, "checkpointEPOCH.pt", n)


def load(path: Path):
    import torch

    if not path.is_file():
        raise InputError(f"checkpoint {path} not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # a truncated file, not a checkpoint, ...
        # an empty file raises a bare EOFError: name the exception when it says nothing
        raise InputError(f"cannot load checkpoint {path}: {str(e) or type(e).__name__}") \
            from None
    if not isinstance(state, dict) or "model" not in state:
        raise InputError(f"{path} is not a fairseq checkpoint (no 'model' entry)")
    return state


def average(paths):
    """The first checkpoint's state with ``model`` replaced by the mean over all of them."""
    import torch

    first = load(paths[0])
    model = first["model"]
    sums = {k: v.float().clone() if v.is_floating_point() else v for k, v in model.items()}
    for path in paths[1:]:
        other = load(path)["model"]
        if other.keys() != model.keys():
            diff = sorted(set(other) ^ set(model))
            raise InputError(f"{path} holds another model than {paths[0]}: parameters "
                             f"{', '.join(diff[:3])}{' ...' if len(diff) > 3 else ''} differ")
        for k, v in other.items():
            if v.shape != model[k].shape:
                raise InputError(f"{path} holds another model than {paths[0]}: {k} is "
                                 f"{tuple(v.shape)} there, {tuple(model[k].shape)} here")
            if v.is_floating_point():
                sums[k] += v.float()
            elif not torch.equal(v, model[k]):
                raise InputError(f"{path} and {paths[0]} differ in the integer tensor {k}, "
                                 "which cannot be averaged")
    first["model"] = {k: (s / len(paths)).to(model[k].dtype) if s.is_floating_point() else s
                      for k, s in sums.items()}
    return first


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.output)
    if out.exists() and not args.force:
        raise InputError(f"{out} exists; pass --force to overwrite it")
    paths = select_inputs(args)
    if out.resolve() in {p.resolve() for p in paths}:
        raise InputError(f"{out} is one of the inputs")
    import_fairseq_plugin()  # allow-lists the globals fairseq checkpoints pickle
    import torch

    state = average(paths)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")  # a killed save leaves no half file at out
    torch.save(state, partial)
    partial.replace(out)
    print(f"averaged {len(paths)} checkpoints into {out}: {', '.join(p.name for p in paths)}")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))

"""Sequence-to-sequence RNN plugin for fairseq (``--user-dir fairseq_plugins``).

Install with ``bash scripts/install.sh``: fairseq-fixed has to be built against the
torch that is already installed (``--no-build-isolation``), which ``pip install .``
alone cannot arrange, so fairseq is deliberately not an install_requires here.
"""
from setuptools import find_packages, setup

setup(
    name="fairseq-seq2seq-plugins",
    version="0.1.0",
    description="Classic RNN encoder-decoder models and a GEC task as a fairseq plugin",
    packages=find_packages(include=["fairseq_plugins", "fairseq_plugins.*",
                                    "preprocess", "preprocess.*"]),
    package_data={"fairseq_plugins": ["config/*.yaml", "config/**/*.yaml", "serving/*.html"]},
    python_requires=">=3.9",
    install_requires=[
        "packaging",
        "sentencepiece",
        "subword-nmt",
        "sacrebleu",
        "tensorboardX",
        "matplotlib",
        "gleu",
        # python -m fairseq_plugins.serve: the ASGI app and its server
        "starlette>=0.37",
        "uvicorn>=0.29",
        # the gec task's --spelling and preprocess.noise's inverted spellchecker
        "symspellpy>=6.7,<7",
    ],
)

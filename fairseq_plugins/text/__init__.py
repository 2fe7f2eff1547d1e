"""The plugin's old name of :mod:`preprocess.texttools` (the text tools the plugin runs and
data preparation shares), kept so that code importing ``fairseq_plugins.text.X`` keeps
working: each ``fairseq_plugins.text.X`` is the module ``preprocess.texttools.X`` itself.

New code imports ``preprocess.texttools``, whose import loads neither fairseq nor torch
(importing anything under ``fairseq_plugins`` runs the plugin's ``__init__``: fairseq).
"""

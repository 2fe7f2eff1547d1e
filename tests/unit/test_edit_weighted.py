"""fairseq_plugins.criterions.edit_weighted: which target tokens count as edits."""


def test_edit_mask_marks_target_tokens_that_change_the_source():
    import torch
    from fairseq_plugins.criterions.edit_weighted import edit_mask
    pad, eos = 1, 2
    src = torch.tensor([[pad, pad, 5, 6, 7, eos], [9, 5, 6, 8, 7, eos]])   # left-padded
    tgt = torch.tensor([[5, 6, 9, 7, eos, pad], [5, 6, 7, eos, pad, pad]])
    assert edit_mask(src, tgt, pad, eos).tolist() == [
        [False, False, True, False, False, False],   # 9 inserted
        [False, False, False, False, False, False],  # 9 and 8 deleted: no target token
    ]
    assert edit_mask(src[:1], torch.tensor([[8, 8, eos]]), pad, eos).tolist() == [[True, True,
                                                                                  False]]

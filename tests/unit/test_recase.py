"""preprocess.recase: the learner's casing put back on a lowercased correction."""


def test_restore_case_takes_the_learners_case_and_changes_nothing_else():
    from preprocess.recase import restore_case
    assert (restore_case("for example , my cousin is 12years old .",
                         "Forexample , My cousin is 12years old .")
            == "For example , My cousin is 12years old .")
    assert restore_case("some luce points in wall .", "SOME LUCE POINTS INWALL .") \
        == "SOME LUCE POINTS IN WALL ."
    assert restore_case("i met  him in nice .", "I met him in NIce .") == "I met  him in NIce ."
    assert restore_case("it is a boy", "It is Boy") == "It is a Boy"    # inserted: lower
    assert restore_case("Kept as is .", "KEPT AS IS .") == "Kept as is ."     # has its own case

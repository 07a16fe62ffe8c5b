from lantern.linkage.assign import NewPerson, assign_persons

AGES = {"P1": 1, "P2": 2, "P3": 3}


def test_unchanged_clusters_change_nothing():
    current = {"a": "P1", "b": "P1", "c": "P2"}
    result = assign_persons({"k1": ["a", "b"], "k2": ["c"]}, current, AGES)
    assert result.person_of_cluster == {"k1": "P1", "k2": "P2"}
    assert not result.changed


def test_new_record_joins_an_existing_person_and_touches_nobody_else():
    current = {"a": "P1", "b": "P2", "new": None}
    result = assign_persons({"k1": ["a", "new"], "k2": ["b"]}, current, AGES)
    assert result.moves == [("new", None, "P1")]
    assert result.retired == {}


def test_a_merge_keeps_the_larger_persons_id_and_retires_the_other_into_it():
    current = {"a": "P2", "b": "P2", "c": "P1"}
    result = assign_persons({"k": ["a", "b", "c"]}, current, AGES)
    assert result.person_of_cluster == {"k": "P2"}
    assert result.retired == {"P1": "P2"}
    assert result.moves == [("c", "P1", "P2")]


def test_equal_merge_keeps_the_older_id():
    current = {"a": "P2", "b": "P1"}
    result = assign_persons({"k": ["a", "b"]}, current, AGES)
    assert result.person_of_cluster == {"k": "P1"} and result.retired == {"P2": "P1"}


def test_a_split_keeps_the_id_with_the_larger_part_and_creates_a_new_person_for_the_rest():
    current = {"a": "P1", "b": "P1", "c": "P1"}
    result = assign_persons({"k1": ["a", "b"], "k2": ["c"]}, current, AGES)
    assert result.person_of_cluster["k1"] == "P1"
    assert result.person_of_cluster["k2"] == NewPerson("k2")
    assert result.retired == {}


def test_brand_new_cluster_gets_a_new_person():
    result = assign_persons({"k": ["x", "y"]}, {"x": None, "y": None}, AGES)
    assert result.person_of_cluster == {"k": NewPerson("k")}
    assert len(result.moves) == 2

from orbit_voice.kit.ids import new_id


def test_ids_are_prefixed_unique_and_sort_in_creation_order() -> None:
    ids = [new_id("call") for _ in range(2000)]
    assert all(i.startswith("call_") and len(i) == len("call_") + 22 for i in ids)
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert all(i.removeprefix("call_").isalnum() for i in ids)

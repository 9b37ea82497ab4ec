"""The database validator store: ETag / Last-Modified round-trip, replace and forget, on both backends."""

from __future__ import annotations

from storage.validators import DatabaseValidatorStore

URL = "https://kabar.example/feed"


def test_put_get_round_trip_and_upsert(engine):
    store = DatabaseValidatorStore(engine)
    assert store.get(URL) == (None, None)
    store.put(URL, '"v1"', "Wed, 01 Jan 2025 00:00:00 GMT")
    assert store.get(URL) == ('"v1"', "Wed, 01 Jan 2025 00:00:00 GMT")
    store.put(URL, '"v2"', None)
    assert store.get(URL) == ('"v2"', None)
    assert DatabaseValidatorStore(engine).get(URL) == ('"v2"', None)  # a new store (a new run) sees it
    assert store.get("https://other.example/") == (None, None)


def test_put_without_validators_forgets(engine):
    store = DatabaseValidatorStore(engine)
    store.put(URL, '"v1"', None)
    store.put(URL, None, None)
    assert store.get(URL) == (None, None)

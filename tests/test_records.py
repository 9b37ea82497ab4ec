"""Collect results account for every record once: dropped records vs notes on kept items."""

from __future__ import annotations

from pantau.domain.records import CollectedItem, CollectResult, Skipped, SkipReason


def test_notes_on_kept_items_are_not_counted_as_dropped():
    result = CollectResult(
        source="s", items=[CollectedItem(source="s", text="a"), CollectedItem(source="s", text="b")]
    )
    result.skipped += [
        Skipped("s", SkipReason.BAD_DATE, "no date; item kept", "entry 1"),
        Skipped("s", SkipReason.MALFORMED, "unclosed tag; entries recovered", "feed"),
        Skipped("s", SkipReason.EMPTY_TEXT, "", "entry 3"),
        Skipped("s", SkipReason.MALFORMED, "bad JSON", "line 4"),
    ]
    assert result.fetched == 4  # two items + two dropped records
    assert result.skip_counts() == {"empty_text": 1, "malformed": 1}
    assert result.note_counts() == {"bad_date": 1, "malformed": 1}


def test_a_failed_source_counts_its_error():
    result = CollectResult(source="s", error="HTTP 500", error_reason=SkipReason.FETCH_ERROR)
    assert result.fetched == 0 and result.skip_counts() == {"fetch_error": 1}

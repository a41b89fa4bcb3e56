"""Benchmark tables and --compare ratios (no timing is asserted anywhere)."""

from __future__ import annotations

import copy

from bench.cases import CASES, QUICK
from bench.table import COMPARED, ratios, tables


def _record(case: str, total: float, r: float | None) -> dict:
    return {
        "case": case,
        "result": {"engine": "builtin", "framing": "inside", "duration_s": 2.0},
        "timings": {"total": total, "tts": 0.1},
        "rtf": total / 2.0,
        "quality": {"lipsync": {"r": r, "best_r": r, "best_lag_frames": 1 if r is not None else None}},
    }


def test_tables_show_every_case_and_n_a_for_missing_numbers():
    text = tables([_record("short", 1.0, 0.7), _record("silent", 2.0, None)])
    speed, quality = text.split("\n\n")
    assert "| short | builtin | inside | 2.0 |" in speed
    assert "| silent | n/a | n/a |" in quality
    assert "0.70 @+1" in quality


def test_compare_gives_new_over_old_for_cases_in_both_runs():
    old = [_record("short", 1.0, 0.5), _record("gone", 1.0, 0.5)]
    new = [_record("short", 3.0, 0.6), _record("added", 1.0, 0.5)]
    _, data = ratios(new, old)
    assert set(data) == {"short"}
    assert data["short"]["total s"] == 3.0
    assert abs(data["short"]["r"] - 1.2) < 1e-9
    assert data["short"]["peak RSS MB"] is None  # missing on both sides: no ratio
    assert set(data["short"]) == {title for title, _ in COMPARED}


def test_compare_against_itself_is_all_ones():
    run = [_record("short", 1.5, 0.8)]
    _, data = ratios(run, copy.deepcopy(run))
    assert {v for v in data["short"].values() if v is not None} == {1.0}


def test_standard_cases_exist_on_disk():
    names = {c.name for c in CASES}
    assert set(QUICK) <= names
    for case in CASES:
        assert case.image.is_file(), case.image
        assert case.text or (case.audio and case.audio.is_file() and case.transcript)

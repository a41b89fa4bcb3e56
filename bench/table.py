"""Markdown tables of a benchmark run, and of its change against an earlier run (as ratios)."""

from __future__ import annotations

# (column title, path into a case record, format). Paths are dotted keys.
SPEED = [
    ("engine", "result.engine", "s"),
    ("framing", "result.framing", "s"),
    ("audio s", "result.duration_s", ".1f"),
    ("load s", "load_s", ".2f"),
    ("tts s", "timings.tts", ".2f"),
    ("align s", "timings.align", ".2f"),
    ("face s", "timings.face", ".2f"),
    ("motion s", "timings.motion", ".3f"),
    ("render s", "timings.render", ".2f"),
    ("encode s", "timings.encode", ".2f"),
    ("total s", "timings.total", ".2f"),
    ("RTF", "rtf", ".3f"),
    ("frames/s", "fps", ".1f"),
    ("peak RSS MB", "peak_rss_mb", ".0f"),
]
QUALITY = [
    ("r", "quality.lipsync.r", ".2f"),
    ("best r @lag", "quality.lipsync", "lag"),
    ("open speech", "quality.mouth.open_speech", ".3f"),
    ("open silence", "quality.mouth.open_silence", ".3f"),
    ("open photo", "quality.mouth.open_photo", ".3f"),
    ("amplitude", "quality.mouth.amplitude", ".3f"),
    ("p/b/m closed", "quality.mouth.bilabial_closure_rate", ".0%"),
    ("blinks/min", "quality.blinks_per_min", ".1f"),
    ("head motion", "quality.head.motion_iod", ".4f"),
    ("roll std deg", "quality.head.roll_std_deg", ".2f"),
    ("jitter", "quality.head.jitter_iod", ".4f"),
    ("bg PSNR dB", "quality.background_psnr_db", ".1f"),
    ("streaks", "quality.edge_streaks", ".2%"),
    ("identity", "quality.identity", ".3f"),
    ("WER", "quality.asr.wer", ".0%"),
]
# Numbers compared with --compare: every numeric column above.
COMPARED = [(title, path) for title, path, fmt in SPEED + QUALITY if fmt not in ("s", "lag")]
COMPARED.insert(1, ("best r", "quality.lipsync.best_r"))


def lookup(record: dict, path: str):
    value = record
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _cell(record: dict, path: str, fmt: str) -> str:
    value = lookup(record, path)
    if fmt == "lag":
        if value is None or value.get("best_r") is None:
            return "n/a"
        return f"{value['best_r']:.2f} @{value['best_lag_frames']:+d}"
    if value is None:
        return "n/a"
    return f"{value:{fmt}}"


def markdown(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def tables(records: list[dict]) -> str:
    """Speed table and quality table, one row per case."""
    out = []
    for columns in (SPEED, QUALITY):
        header = ["case"] + [title for title, _, _ in columns]
        rows = [[r["case"]] + [_cell(r, path, fmt) for _, path, fmt in columns] for r in records]
        out.append(markdown(rows, header))
    return "\n\n".join(out)


def ratios(new: list[dict], old: list[dict]) -> tuple[str, dict]:
    """new / old for every compared number of every case in both runs (n/a where either is missing or 0)."""
    old_by_case = {r["case"]: r for r in old}
    rows, data = [], {}
    for record in new:
        before = old_by_case.get(record["case"])
        if before is None:
            continue
        row, data[record["case"]] = [record["case"]], {}
        for title, path in COMPARED:
            a, b = lookup(record, path), lookup(before, path)
            ratio = a / b if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b != 0 else None
            data[record["case"]][title] = ratio
            row.append("n/a" if ratio is None else f"{ratio:.2f}")
        rows.append(row)
    return markdown(rows, ["case"] + [title for title, _ in COMPARED]), data

"""`python -m bench.voice_timing`: the voice's own timing against forced alignment, and readings of recordings.

Two tables, each measured in this one process:

* the speech stage for text timed by the voice against the same speech
  force-aligned by PocketSphinx (medians of interleaved runs; ratios, since
  seconds depend on the machine);
* for recordings, the mouth that PocketSphinx's phones and the sound reading
  drive against the mouth the true phones drive. The truth is the voice's own
  timing: the same sentences said by the bundled voice in English and, through
  a copy of it that speaks German phonemes (`make_voice`), in German.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import wave
from pathlib import Path

import numpy as np

from .cases import LONG, MEDIUM, SHORT, TWO_MINUTES
from .table import markdown

SENTENCES = {
    "en": (
        "en_US-joe-medium",
        (
            "Please bring the big map, because we must be back before the museum closes at "
            "five. Every morning the baker opens his shop before the sun comes up."
        ),
    ),
    "de": (
        "de_DE-joe-medium",
        (
            "Bitte bring die große Karte mit, denn wir müssen zurück sein, bevor das Museum "
            "um fünf schließt. Jeden Morgen öffnet der Bäcker seinen Laden, bevor die Sonne "
            "aufgeht."
        ),
    ),
}
GERMAN = {
    "code": "de_DE",
    "family": "de",
    "region": "DE",
    "name_native": "Deutsch",
    "name_english": "German",
    "country_english": "Germany",
}


def make_voice(folder: Path, name: str, espeak_voice: str, language: dict) -> Path:
    """A Piper voice as any user could make one: the bundled voice's network, another espeak-ng voice."""
    from talking_head.speech.voices import bundled_voice_path, config_path

    source = bundled_voice_path()
    model = folder / f"{name}.onnx"
    model.symlink_to(source)
    config = json.loads(config_path(source).read_text(encoding="utf-8"))
    config["espeak"] = {"voice": espeak_voice}
    config["language"] = language
    config_path(model).write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return model


def stage_table(repeats: int) -> str:
    from talking_head.speech import speech_from_text

    speech_from_text("Warm up the voice and the aligner.", timing="forced")
    rows = []
    for name, text in [("short", SHORT), ("medium", MEDIUM), ("long", LONG), ("two-minutes", TWO_MINUTES)]:
        runs: dict[str, list[tuple[float, float]]] = {"voice": [], "forced": []}
        for _ in range(repeats):
            for timing, times in runs.items():
                clock: dict[str, float] = {}
                speech = speech_from_text(text, timings=clock, timing=timing)
                times.append((clock.get("tts", 0.0), clock.get("align", 0.0)))
        med = {k: (statistics.median(a for a, _ in v), statistics.median(b for _, b in v)) for k, v in runs.items()}
        voice, forced = sum(med["voice"]), sum(med["forced"])
        rows.append(
            [
                name,
                f"{speech.duration_s:.1f}",
                f"{med['voice'][0]:.2f}",
                f"{med['forced'][0]:.2f}",
                f"{med['forced'][1]:.2f}",
                f"{voice / forced:.2f}",
                f"{voice / speech.duration_s:.3f}",
                f"{forced / speech.duration_s:.3f}",
            ]
        )
    return markdown(
        rows,
        [
            "text",
            "audio s",
            "voice: tts s",
            "forced: tts s",
            "forced: align s",
            "speech voice / forced",
            "speech RTF voice",
            "speech RTF forced",
        ],
    )


def _closures(truth: np.ndarray, found: np.ndarray) -> tuple[float, float]:
    """Share of true closed frames with a found one within a frame, and the converse."""
    near_found = np.convolve(found, np.ones(3), "same") > 0
    near_true = np.convolve(truth, np.ones(3), "same") > 0
    return (
        float(near_found[truth].mean()) if truth.any() else float("nan"),
        float(near_true[found].mean()) if found.any() else float("nan"),
    )


def reading_table(folder: Path) -> str:
    from talking_head.motion import build_motion
    from talking_head.pipeline import TalkOptions
    from talking_head.speech import Speech, speech_from_audio, speech_from_text
    from talking_head.speech.sound import read_phones

    make_voice(folder, "de_DE-joe-medium", "de", GERMAN)
    options = TalkOptions(still=True)
    rows = []
    for language, (voice, text) in SENTENCES.items():
        truth = speech_from_text(text, voice, voices_dir=folder)
        recording = folder / f"{language}.wav"
        with wave.open(str(recording), "wb") as out:
            out.setnchannels(1), out.setsampwidth(2), out.setframerate(truth.sample_rate)
            out.writeframes((np.clip(truth.audio, -1, 1) * 32767).astype("<i2").tobytes())
        reference = build_motion(truth, options)
        recognised = speech_from_audio(recording, reading="recognition")
        sound = Speech(
            recognised.audio,
            recognised.sample_rate,
            recognised.audio_16k,
            [],
            read_phones(recognised.audio_16k),
            None,
            "sound",
        )
        for name, speech in (("PocketSphinx phones (English)", recognised), ("the sound", sound)):
            motion = build_motion(speech, options)
            n = min(reference.n_frames, motion.n_frames)
            recall, precision = _closures(reference.lip_press[:n] > 0.5, motion.lip_press[:n] > 0.5)
            rows.append(
                [
                    language,
                    name,
                    f"{np.corrcoef(reference.jaw[:n], motion.jaw[:n])[0, 1]:.3f}",
                    f"{np.corrcoef(reference.lip_width[:n], motion.lip_width[:n])[0, 1]:.3f}",
                    f"{recall:.2f}",
                    f"{precision:.2f}",
                ]
            )
    return markdown(rows, ["speech", "phones from", "jaw r", "lip width r", "p/b/m found", "p/b/m right"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.voice_timing", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs per text (default: %(default)s)")
    args = parser.parse_args(argv)
    print("Speech stage, text timed by the voice against force-aligned:\n")
    print(stage_table(args.repeats))
    with tempfile.TemporaryDirectory() as folder:
        print("\nRecordings: mouth driven by each reading against the mouth the true phones drive:\n")
        print(reading_table(Path(folder)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Text to speech with Piper, timed by the voice itself.

The voice's graph is patched in memory (`voice_graph`) to give the number of
audio samples of every phoneme it speaks and to take its noise from a seeded
generator. `speak` turns one unit of text (a sentence, a clause) into audio
with its phone and word timelines; `synthesize` speaks a whole text unit by
unit as the text front end (`text`) reads it, with the silences it asks for.
Phones carry the ARPAbet labels the motion stage uses (`ipa`); words carry the
text as written, for captions.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from ..options import MAX_SPEED, MIN_SPEED
from . import ipa
from .spool import AudioSpool, Signal
from .text import read_text
from .timeline import Phone, Word
from .voice_graph import NoiseInput, patch
from .voices import VoiceInfo, bundled_voice_path, config_path, read_info

if TYPE_CHECKING:  # piper (and its onnxruntime) load only when a voice is first used
    from piper import PiperVoice

log = logging.getLogger(__name__)

NOTHING_TO_SAY = "the text has nothing to say (no words the voice can speak). Give some words."
PEAK_LEVEL = 0.9  # Piper normalises each sentence to full scale; leave AAC some headroom
# Noise drawn per phoneme id for each random node: enough for 192 latent channels over
# 24 frames per id (the graph cycles the buffer if a sound ever lasts longer).
NOISE_PER_ID = 192 * 24
# Phonemes the voice gets in one run. Its memory grows with a run's length (about 0.5 MB a
# phoneme id, two ids a phoneme, plus the noise drawn for it), so a sentence without an end
# (a transcript, 'a' * 5000) is cut here; a 25-word sentence is about 150.
MAX_RUN_PHONEMES = 160
CLAUSE_MARKS = frozenset(",;:—")  # a long run is cut after one of these where it can be


@dataclass
class Voice:
    """A loaded Piper voice: the session of its patched graph and what it is."""

    piper: PiperVoice
    info: VoiceInfo
    timed: bool
    """Whether the graph gives per-phoneme durations (every Piper VITS voice does)."""
    noise: list[NoiseInput] = field(default_factory=list)

    @property
    def sample_rate(self) -> int:
        return self.piper.config.sample_rate

    def speaker_id(self, speaker: str | int | None) -> int | None:
        """The speaker id for `speaker` (a name or a number); `InputError` for one the voice lacks."""
        config = self.piper.config
        if speaker is None or str(speaker) == "":
            return config.default_speaker_id if config.num_speakers > 1 else None
        if config.num_speakers <= 1:
            raise InputError(
                f"the voice {self.info.name} has one speaker; leave out the speaker option.", field="speaker"
            )
        names = config.speaker_id_map or {}
        if str(speaker) in names:
            return int(names[str(speaker)])
        if str(speaker).isdigit() and int(speaker) < config.num_speakers:
            return int(speaker)
        choices = ", ".join(sorted(names, key=lambda name: names[name])) if names else f"0 to {config.num_speakers - 1}"
        raise InputError(
            f"the voice {self.info.name} has no speaker {speaker!r}. Choose one of: {choices}.", field="speaker"
        )


@dataclass
class Utterance:
    """Speech for one unit of text (or a whole text, spooled): mono float32 audio with its timelines (seconds)."""

    audio: Signal
    sample_rate: int
    phones: list[Phone]
    words: list[Word]
    timed: bool = True
    """False when the voice could not say when it spoke each sound (the timelines are then empty)."""
    sentences: list[tuple[str, int, int]] = field(default_factory=list)
    """Each sentence with its first and end sample (from `synthesize`)."""

    @property
    def duration_s(self) -> float:
        return len(self.audio) / self.sample_rate


def load_voice(path: str | Path | None = None) -> Voice:
    """Load a Piper voice once per process, its graph patched in memory; `None` is the bundled voice."""
    model = Path(path).expanduser() if path else bundled_voice_path()
    if model.suffix != ".onnx" or not model.is_file():
        raise InputError(f"voice not found: {model}. Give a Piper voice .onnx file or a voice name.", field="voice")
    return _load(str(model.absolute()))  # not resolved: a linked voice has its own .onnx.json


@functools.lru_cache(maxsize=4)
def _load(model_path: str) -> Voice:
    import onnx
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    model = Path(model_path)
    info = read_info(model, bundled=model == bundled_voice_path().absolute())
    try:
        graph = onnx.load(model_path)
        timed, noise = patch(graph)
        config = PiperConfig.from_dict(json.loads(config_path(model).read_text("utf-8")))
        session_options = onnxruntime.SessionOptions()
        # Idle worker threads sleep instead of spinning: live streams and batch jobs share the cores
        # with drawing and encoding, and a spinning pool burns a core for nothing between runs.
        session_options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(
            graph.SerializeToString(), sess_options=session_options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnx, onnxruntime and json raise many kinds
        raise InputError(f"cannot load the voice {model.name}: {exc}", field="voice") from None
    return Voice(PiperVoice(session=session, config=config), info, timed, noise)


def _symbol_ids(voice: Voice, phonemes: list[str]) -> tuple[list[int], list[tuple[str, int]]]:
    """Phoneme ids as Piper builds them, and each symbol with how many ids it took (its pad included)."""
    from piper.const import BOS, EOS, PAD

    id_map = voice.piper.config.phoneme_id_map
    pad = list(id_map.get(PAD, []))
    ids = list(id_map[BOS]) + pad
    spans = [(BOS, len(ids))]
    for symbol in phonemes:
        if symbol not in id_map:
            continue  # as Piper does: a symbol the voice does not know is not spoken
        ids += list(id_map[symbol]) + pad
        spans.append((symbol, len(id_map[symbol]) + len(pad)))
    ids += list(id_map[EOS])
    spans.append((EOS, len(id_map[EOS])))
    return ids, spans


@functools.cache
def _shrinking_run():
    """Run options that give the arena's memory back after each run: otherwise it keeps the
    largest run's (grown in powers of two) for the life of the process. Measured: same peak,
    same speed, 0.13 GB less held between runs (plain malloc instead peaked 0.15 GB higher)."""
    import onnxruntime

    options = onnxruntime.RunOptions()
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options


def runs(phonemes: list[str], limit: int = MAX_RUN_PHONEMES) -> list[list[str]]:
    """`phonemes` (one espeak sentence) in runs of at most `limit`: cut after a clause mark
    in a run's second half where there is one, else at the last word boundary, else anywhere
    (a "word" longer than `limit`)."""
    pieces = []
    while len(phonemes) > limit:
        window = phonemes[: limit + 1]
        spaces = [k for k, symbol in enumerate(window) if symbol == " " and k > 0]
        clauses = [k for k in spaces if window[k - 1] in CLAUSE_MARKS and k >= limit // 2]
        cut = clauses[-1] if clauses else spaces[-1] if spaces else limit
        pieces.append(phonemes[:cut])
        phonemes = phonemes[cut + 1 if cut < len(phonemes) and phonemes[cut] == " " else cut :]
    return [*pieces, phonemes] if phonemes else pieces


def _run(
    voice: Voice, ids: list[int], length_scale: float, speaker_id: int | None, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray | None]:
    config = voice.piper.config
    inputs = {
        "input": np.array([ids], np.int64),
        "input_lengths": np.array([len(ids)], np.int64),
        "scales": np.array([config.noise_scale, length_scale, config.noise_w_scale], np.float32),
    }
    if speaker_id is not None:
        inputs["sid"] = np.array([speaker_id], np.int64)
    for noise in voice.noise:
        inputs[noise.name] = noise.draw(rng, NOISE_PER_ID * len(ids))
    outputs = voice.piper.session.run(None, inputs, _shrinking_run())
    audio = outputs[0].reshape(-1).astype(np.float32)
    frames = outputs[1].reshape(-1) if voice.timed and len(outputs) > 1 else None
    return audio, frames


def _time_words(
    voice: Voice, written: str, sounds: list[tuple[ipa.Segment, float, float]], start: float, end: float
) -> list[Word]:
    """Time each written word by matching its own phonemes to the sounds the voice spoke.

    espeak joins some words ("in the"), spells out numbers ("42": two words)
    and splits others; matching the sounds, not counting words, keeps every
    written word, in its own spelling, on the sounds that say it.
    """
    tokens = written.split()
    if not tokens:
        return []
    spoken, spoken_owner = [], []
    for k, (segment, _, _) in enumerate(sounds):
        for ch in ipa.letters(segment.symbols):
            spoken.append(ch)
            spoken_owner.append(k)
    heard, heard_owner = [], []
    for t, token in enumerate(tokens):
        phonemes = "".join("".join(s) for s in voice.piper.phonemize(token))
        for ch in ipa.letters(phonemes):
            heard.append(ch)
            heard_owner.append(t)
    matched: list[list[int]] = [[] for _ in tokens]
    matcher = SequenceMatcher(None, "".join(heard), "".join(spoken), autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        for k in range(size):
            matched[heard_owner[a + k]].append(spoken_owner[b + k])
    spans: list[tuple[float, float] | None] = [(sounds[min(m)][1], sounds[max(m)][2]) if m else None for m in matched]
    words: list[Word] = []
    for t, token in enumerate(tokens):
        span = spans[t]
        if span is None:  # said with a neighbour (or not at all): between the two
            before = words[-1].end if words else start
            after = next((s[0] for s in spans[t + 1 :] if s is not None), end)
            span = spans[t] = (before, max(before, after))
        begin = max(span[0], words[-1].start if words else start)
        words.append(Word(token, begin, max(begin, span[1])))
    return words


def speak(
    voice: Voice,
    text: str,
    written: str | None = None,
    *,
    speed: float = 1.0,
    speaker: str | int | None = None,
    seed: int = 0,
    unit: int = 0,
) -> Utterance:
    """Speak one unit of text; the audio with its phones and words, timed by the voice.

    `written` is how the text is shown (captions); by default `text` itself.
    The noise comes from a generator seeded by (`seed`, `unit`), so a unit
    sounds the same however it is reached (a whole text or a live stream).
    Returns empty audio when there is nothing to say.
    """
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise InputError(f"speed must be between {MIN_SPEED:g} and {MAX_SPEED:g}.", field="speed")
    speaker_id = voice.speaker_id(speaker)
    length_scale = voice.piper.config.length_scale / speed
    rng = np.random.default_rng([seed, unit])
    # Piper holds espeak-ng's one global state under its own lock
    sentences = [piece for sentence in voice.piper.phonemize(text) for piece in runs(sentence)]
    pieces: list[np.ndarray] = []
    sounds: list[tuple[ipa.Segment, float, float]] = []
    phones: list[Phone] = []
    timed = voice.timed
    rate = voice.sample_rate
    at = 0
    for phonemes in sentences:
        if not phonemes:
            continue
        ids, spans = _symbol_ids(voice, phonemes)
        audio, frames = _run(voice, ids, length_scale, speaker_id, rng)
        peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
        audio = (audio / peak * PEAK_LEVEL).astype(np.float32) if peak > 1e-8 else np.zeros_like(audio)
        pieces.append(audio)
        if frames is not None and len(frames) == len(ids):
            samples = (frames * voice.piper.config.hop_length).astype(np.int64)
            edges = np.cumsum([0] + [n for _, n in spans])
            counts = [(symbol, int(samples[a:b].sum())) for (symbol, _), a, b in zip(spans, edges[:-1], edges[1:])]
            if sum(n for _, n in counts) != len(audio):
                log.debug(
                    "voice durations (%d samples) differ from its audio (%d)", sum(n for _, n in counts), len(audio)
                )
            cursor = at
            for segment in ipa.segments(counts):
                begin, cursor = cursor, cursor + segment.samples
                phones.append(Phone(segment.label, begin / rate, cursor / rate))
                if segment.label != "SIL":
                    sounds.append((segment, begin / rate, cursor / rate))
        else:
            timed = False
        at += len(audio)
    audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    if not timed:
        return Utterance(audio, rate, [], [], timed=False)
    words = _time_words(voice, written if written is not None else text, sounds, 0.0, len(audio) / rate)
    return Utterance(audio, rate, phones, words)


def synthesize(
    text: str, voice: str | Path | None = None, *, speed: float = 1.0, speaker: str | int | None = None, seed: int = 0
) -> Utterance:
    """Speak `text` (plain or SSML) unit by unit as the text front end reads it.

    Each unit's spoken reading is what the voice says; its words are timed
    and shown as written. The silence before each unit and its rate (SSML
    ``<break>``, ``<prosody rate>``) come from the front end. The audio is
    spooled as each unit is said (`AudioSpool`): memory does not grow with the text.
    """
    loaded = load_voice(voice)
    rate = loaded.sample_rate
    audio = AudioSpool()
    phones: list[Phone] = []
    words: list[Word] = []
    sentences: list[tuple[str, int, int]] = []
    timed = True
    at = 0
    for unit, part in enumerate(read_text(text, loaded.info.language)):
        # An SSML rate scales the speed asked for, within what the voice can do.
        unit_speed = speed if part.rate == 1.0 else min(MAX_SPEED, max(MIN_SPEED, speed * part.rate))
        said = speak(loaded, part.spoken, part.written, speed=unit_speed, speaker=speaker, seed=seed, unit=unit)
        if not len(said.audio):
            continue  # punctuation only: nothing to say
        pause = round(part.pause_before_s * rate)
        if pause:
            audio.append(np.zeros(pause, np.float32))
            phones.append(Phone("SIL", at / rate, (at + pause) / rate))
            at += pause
        offset = at / rate
        audio.append(said.audio)
        for p in said.phones:
            if p.label == "SIL" and phones and phones[-1].label == "SIL":  # one rest, not three in a row
                phones[-1] = Phone("SIL", phones[-1].start, p.end + offset)
            else:
                phones.append(Phone(p.label, p.start + offset, p.end + offset))
        words += [Word(w.text, w.start + offset, w.end + offset) for w in said.words]
        timed = timed and said.timed
        sentences.append((part.spoken, at, at + len(said.audio)))
        at += len(said.audio)
    if not len(audio):
        raise InputError(NOTHING_TO_SAY, field="text")
    return Utterance(audio, rate, phones if timed else [], words if timed else [], timed, sentences)

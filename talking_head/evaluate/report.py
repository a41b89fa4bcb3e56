"""One pass over the decoded video, then every measure, assembled into one JSON-ready report."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError
from ..face import analyze_face
from ..speech.align import RECOGNISER
from ..speech.audio import ANALYSIS_RATE
from .background import BackgroundMeter, align_source
from .bilabials import bilabial_phones, closure_rate
from .blinks import blink_frames, blink_seconds, blinks_per_minute
from .decode import iter_frames, probe, read_audio_16k
from .expression import brow_motion, closures_per_second, eye_opening_motion, gaze_motion, mouth_width_motion
from .frozen import strip_indices, unchanged_share
from .head import head_motion
from .identity import SAMPLES as IDENTITY_SAMPLES
from .identity import IdentityMeter
from .intelligibility import transcribe_pieces, word_error_rate
from .light import LightMeter
from .lipsync import envelope, lipsync, mouth_opening, silence_mask, speech_mask
from .sheet import THUMB_PX, pick_frames, write_sheet
from .streaks import streak_share
from .tracking import FaceSeries, FaceTracker, inter_ocular, lip_gap

log = logging.getLogger(__name__)

REPORT_KEYS = ("streams", "lipsync", "mouth", "blinks_per_min", "head", "background_psnr_db", "identity", "asr")


def _thumbnail(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    if w <= THUMB_PX:
        return frame.copy()
    return cv2.resize(frame, (THUMB_PX, round(h * THUMB_PX / w)), interpolation=cv2.INTER_AREA)


def evaluate(
    video: str | Path,
    source: str | Path | None = None,
    text: str | None = None,
    sheet: str | Path | None = None,
    bilabials: list | None = None,
    transcribe: bool = True,
) -> dict:
    """Measure `video` (an MP4): streams, lip sync, mouth, blinks, head, background, identity, ASR.

    `source` is the photo the video was made from (reference for background and
    identity; else the first frame with a face); `text` is what is said (for
    p/b/m closure and word error rate). `bilabials` are the p/b/m phones when
    they are known (a voice's own timing, any language): closure is then
    measured on them instead of on an English alignment of `text`. `transcribe=False` leaves out
    the transcript (and so the word error rate) where nothing needs it: no `text`. Raises `InputError` for a file that is
    not a video or shows no face.
    """
    video = Path(video)
    clock = {}
    started = time.perf_counter()
    streams = probe(video)
    photo = None
    if source is not None:
        try:
            photo = analyze_face(source)
        except InputError as exc:
            raise InputError(f"--source: {exc}", field="source") from None
    audio = read_audio_16k(video)
    fps = streams.video.fps

    expected = streams.video.frames or round((streams.video.duration_s or 0) * fps)
    picks = set(pick_frames(expected))
    strip = set(strip_indices(expected, fps))
    strip_frames = []
    tracker, series, light = FaceTracker(), FaceSeries(), LightMeter()
    background = identity = None
    identity_step = max(1, expected // IDENTITY_SAMPLES)
    thumbnails = []
    streaks = 0.0
    for i, (t, frame) in enumerate(iter_frames(video)):
        if i % identity_step == 0:
            streaks = max(streaks, streak_share(frame))
        if i in strip:
            strip_frames.append(frame.copy())
        landmarks = tracker.find(frame)
        series.append(t, landmarks)
        if sheet is not None and i in picks:
            thumbnails.append((i, t, _thumbnail(frame)))
        if landmarks is None:
            continue
        light.add(frame, landmarks)
        if background is None or identity is None:
            if photo is not None:
                reference, reference_landmarks, covered = align_source(photo.image, photo.landmarks, frame, landmarks)
                background = BackgroundMeter(reference, reference_landmarks, "source", covered)
                identity = IdentityMeter(photo.image, photo.landmarks, "source")
            else:
                kind = "first frame" if i == 0 else f"first frame with a face (#{i})"
                background = BackgroundMeter(frame, landmarks, kind)
                identity = IdentityMeter(frame, landmarks, kind)
        background.add(frame, landmarks)
        if i % identity_step == 0:
            identity.add(frame, landmarks)
    clock["frames_s"] = time.perf_counter() - started
    if not len(series) or not series.found.any():
        raise InputError(
            f"no face found in any of the {len(series)} frames of {video.name}. "
            "The evaluator measures talking-head videos: give a video in which one face is clearly visible.",
            field="video",
        )

    times = np.asarray(series.times, float)
    opening = series.opening
    env = envelope(audio[0], audio[1], times, fps) if audio is not None else None
    if env is not None and not np.any(env > 0):
        env = None  # a silent track: nothing to sync to
    sync = lipsync(opening, env)
    mouth = mouth_opening(opening, env, fps)
    mouth["open_photo"] = round(lip_gap(photo.landmarks) / inter_ocular(photo.landmarks), 4) if photo else None
    both = mouth["open_speech"] is not None and mouth["open_silence"] is not None
    mouth["amplitude"] = round(mouth["open_speech"] - mouth["open_silence"], 4) if both else None
    mouth["closures_per_s"] = closures_per_second(opening, speech_mask(env, fps), fps) if env is not None else None

    # The transcript first: its pieces, cut at pauses, also carry long alignments.
    tick = time.perf_counter()
    transcript: str | None = None
    wer: float | None = None
    pieces = None
    # Without PocketSphinx: no transcript, WER or p/b/m timing.
    if audio is not None and RECOGNISER and (transcribe or text):
        pieces = transcribe_pieces(audio[0])
        transcript = " ".join(heard for _, _, heard in pieces if heard).strip()
        if text:
            wer = word_error_rate(text, transcript)
    asr = {"text": transcript, "wer": wer}
    clock["asr_s"] = time.perf_counter() - tick

    tick = time.perf_counter()
    events = None
    mouth.update({"bilabial_closure_rate": None, "bilabials_closed": None, "bilabials_counted": None})
    if (bilabials is not None or (text and RECOGNISER)) and audio is not None and mouth["open_speech"]:
        phones = bilabials if bilabials is not None or not text else bilabial_phones(audio[0], audio[1], text, pieces)
        if phones is not None:
            closure = closure_rate(opening, times, fps, phones, mouth["open_speech"])
            events = closure.pop("events")
            mouth.update(closure)
    clock["align_s"] = time.perf_counter() - tick

    ear = np.asarray(series.ear, float)
    blinks = blink_frames(ear, fps)
    head = head_motion(
        np.asarray(series.centre, float),
        np.asarray(series.roll_deg, float),
        np.stack(series.rigid).astype(float),
        series.iod,
    )
    head["yaw_std_deg"] = round(float(np.nanstd(series.yaw_deg)), 4)
    head["pitch_std_deg"] = round(float(np.nanstd(series.pitch_deg)), 4)
    assert background is not None and identity is not None  # both start at the first face, and one was found
    bg = background.result()
    ident = identity.result()
    duration_v = streams.video.duration_s or (times[-1] - times[0] + 1 / fps)
    duration_a = None
    if streams.audio is not None:
        duration_a = streams.audio.duration_s or (len(audio[0]) / ANALYSIS_RATE if audio else None)

    report = {
        "video": str(video),
        "source": str(source) if source is not None else None,
        "streams": {
            **streams.to_dict(),
            "decoded_frames": len(series),
            "av_gap_s": round(duration_a - duration_v, 4) if duration_a is not None else None,
        },
        "face_found_share": round(float(series.found.mean()), 4),
        "iod_px": round(series.iod, 2),
        "lipsync": sync,
        "mouth": mouth,
        "blinks_per_min": blinks_per_minute(blinks, ear, fps),
        "blinks": len(blinks),
        "blink_s": blink_seconds(blinks, fps),
        "head": head,
        "brow_motion_iod": brow_motion(np.asarray(series.brow, float)),
        "gaze_motion_iod": gaze_motion(np.asarray(series.gaze, float)),
        "mouth_width_motion": mouth_width_motion(np.asarray(series.mouth_width, float)),
        "eye_opening_motion": eye_opening_motion(ear, blinks),
        "face_light": light.result(),
        "unchanged_share": unchanged_share(strip_frames),
        "background_psnr_db": bg["psnr_db"],
        "background": bg,
        "edge_streaks": round(streaks, 5),
        "identity": ident["identity"],
        "identity_detail": ident,
        "asr": asr,
        "sheet": None,
    }
    if sheet is not None:
        title = (
            f"{video.name}   r={_fmt(sync['r'])}  best r={_fmt(sync['best_r'])} at lag "
            f"{sync['best_lag_frames']}   open speech/silence={_fmt(mouth['open_speech'])}/"
            f"{_fmt(mouth['open_silence'])}   p/b/m closed={_fmt(mouth['bilabial_closure_rate'])}"
        )
        silence = silence_mask(env, fps) if env is not None else None
        report["sheet"] = str(write_sheet(sheet, thumbnails, times, opening, env, silence, events, title))
    clock["total_s"] = time.perf_counter() - started
    report["timings"] = {k: round(v, 3) for k, v in clock.items()}
    return report


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"

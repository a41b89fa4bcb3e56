"""The motion track: visemes, contacts, silence, blinks, head and brows."""

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d

from talking_head.motion import build_motion
from talking_head.motion.gaze import gaze_track
from talking_head.motion.head import EMPHASIS_TREND_S, emphasis
from talking_head.motion.visemes import ANTICIPATION_S, mouth_track
from talking_head.pipeline import TalkOptions
from talking_head.speech import speech_from_text
from talking_head.speech.audio import frame_rms
from talking_head.speech.timeline import Phone

FPS = 25


@pytest.fixture(scope="module")
def speech():
    return speech_from_text(
        "Maybe people will believe me. Five votes, he said, for the bold plan! "
        "We see blue moons over the old town, and I will wave to you."
    )


@pytest.fixture(scope="module")
def long_speech():
    text = " ".join(
        [
            "Talking heads are useful for course videos and for assistants.",
            "They should blink now and then, move the head a little, and keep the lips in time.",
            "Every sentence here is ordinary speech, spoken by the bundled voice.",
            "The clip runs for more than twenty seconds, so blinks can be counted.",
            "A few more words make sure of that, and then the speaker stops talking.",
        ]
    )
    return speech_from_text(text)


def frames_of(speech, labels):
    """Frame indices whose centre falls inside a phone with one of `labels` (shifted by the anticipation)."""
    times = (np.arange(speech.frame_count(FPS)) + 0.5) / FPS
    hit = np.zeros(len(times), bool)
    for p in speech.phones:
        if p.label in labels:
            hit |= (times >= p.start - ANTICIPATION_S) & (times < p.end - ANTICIPATION_S)
    return hit


def test_lips_close_on_every_bilabial(speech):
    motion = build_motion(speech, TalkOptions())
    times = (np.arange(motion.n_frames) + 0.5) / FPS
    bilabials = [p for p in speech.phones if p.label in ("P", "B", "M")]
    assert len(bilabials) >= 5
    for p in bilabials:
        centre = int(np.argmin(np.abs(times - ((p.start + p.end) / 2 - ANTICIPATION_S))))
        window = slice(max(0, centre - 1), centre + 2)
        assert motion.lip_press[window].max() == 1.0
        assert motion.jaw[window].min() <= 0.05


def test_vowel_shapes(speech):
    motion = build_motion(speech, TalkOptions())
    rounded = frames_of(speech, {"UW", "OW", "W"})
    spread = frames_of(speech, {"IY", "EY"})
    open_ = frames_of(speech, {"AA", "AE", "AY"})
    assert motion.lip_width[rounded].mean() < -0.3
    assert motion.lip_width[spread].mean() > 0.15
    assert motion.lip_width[spread].mean() - motion.lip_width[rounded].mean() > 0.5
    assert motion.jaw[open_].mean() > motion.jaw[frames_of(speech, {"IY", "UW"})].mean()
    labiodental = frames_of(speech, {"F", "V"})
    assert motion.lip_tuck[labiodental].mean() > 0.5


def test_no_frame_pops(speech):
    motion = build_motion(speech, TalkOptions())
    # A jaw can open about halfway in one 40 ms frame, not more.
    assert np.abs(np.diff(motion.jaw)).max() < 0.6
    assert np.abs(np.diff(motion.lip_width)).max() < 0.8


def test_lips_move_before_the_sound():
    phones = [Phone("SIL", 0.0, 0.5), Phone("AA", 0.5, 0.8), Phone("SIL", 0.8, 1.5)]
    t = np.arange(int(1.5 * 16000)) / 16000
    audio = np.where((t >= 0.5) & (t < 0.8), 0.5 * np.sin(2 * np.pi * 150 * t), 0.0).astype(np.float32)
    track = mouth_track(phones, audio, FPS, int(1.5 * FPS))
    # The frame just before the vowel is heard is already opening.
    before = int(0.5 * FPS) - 1
    assert track["jaw"][before] > 0.0 or track["lip_width"][before] != 0.0


def test_mouth_closes_in_silence(speech):
    motion = build_motion(speech, TalkOptions())
    times = (np.arange(motion.n_frames) + 0.5) / FPS
    silent = np.zeros(motion.n_frames, bool)
    for p in speech.phones:
        if p.label == "SIL" and p.end - p.start > 0.2:
            silent |= (times > p.start + 0.08) & (times < p.end - 0.08)
    assert silent.any()
    assert motion.jaw[silent].max() < 0.05


def test_loudness_scales_the_jaw(speech):
    quiet = speech_from_text("Maybe people will believe me.")
    loud = build_motion(quiet, TalkOptions())
    quiet.audio_16k = np.array(quiet.audio_16k)
    quiet.audio_16k[: len(quiet.audio_16k) // 2] *= 0.3
    softer = build_motion(quiet, TalkOptions())
    half = loud.n_frames // 2
    assert softer.jaw[:half].mean() < 0.8 * loud.jaw[:half].mean()


def test_blinks_are_natural(long_speech):
    assert long_speech.duration_s > 20
    motion = build_motion(long_speech, TalkOptions(seed=7))
    closed = motion.blink >= 0.99
    starts = np.flatnonzero(closed[1:] & ~closed[:-1]) + 1
    per_minute = len(starts) / (motion.n_frames / FPS / 60)
    assert 8 <= per_minute <= 25
    intervals = np.diff(starts) / FPS
    assert intervals.min() >= 1.0 and intervals.std() > 0.2  # irregular, but no storms
    # Each blink lasts about 100-250 ms above half closure.
    half = motion.blink > 0.5
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], half.astype(int), [0]]))))[::2]
    assert runs.min() >= 1 and runs.max() / FPS <= 0.25


def test_head_moves_smoothly_and_still_keeps_it_fixed(long_speech):
    motion = build_motion(long_speech, TalkOptions())
    # Real speakers turn 5-10 degrees (std) and nod and tilt 1-6 (docs/motion.md): a turn may go further.
    for axis, most in ((motion.yaw, 10.0), (motion.pitch, 5.0), (motion.roll, 5.0)):
        assert 0.3 < axis.std() < most
        assert np.abs(np.diff(axis, 2)).max() < 0.25  # degrees per frame², no jerks
    still = build_motion(long_speech, TalkOptions(still=True))
    assert not still.yaw.any() and not still.pitch.any() and not still.roll.any()
    assert still.jaw.any()


def test_nods_follow_stress_loosely_each_speaker_their_own_way(long_speech):
    # Real speakers' quick nods correlate with stress at -0.23..+0.40 (bench/motion_fit.py --nods);
    # ours were locked to it at +0.9 on every seed.
    rms = frame_rms(long_speech.audio_16k, FPS, long_speech.frame_count(FPS)).astype(np.float64)
    stress = emphasis(rms, FPS)
    couplings = []
    for seed in range(10):
        pitch = build_motion(long_speech, TalkOptions(seed=seed)).pitch.astype(np.float64)
        fast = pitch - gaussian_filter1d(pitch, EMPHASIS_TREND_S * FPS)
        couplings.append(np.corrcoef(fast, stress)[0, 1])
    assert max(np.abs(couplings)) < 0.7
    assert np.ptp(couplings) > 0.3  # each speaker their own: some nod down on stress, some lift


def test_pose_styles_differ(long_speech):
    stds = [build_motion(long_speech, TalkOptions(pose_style=s)).pitch.std() for s in range(4)]
    assert max(stds) / min(stds) > 1.3


def test_expression_scale(speech):
    base = build_motion(speech, TalkOptions())
    double = build_motion(speech, TalkOptions(expression_scale=2.0))
    none = build_motion(speech, TalkOptions(expression_scale=0.0))
    assert double.jaw.mean() > 1.5 * base.jaw.mean()
    assert not none.jaw.any() and not none.brow.any()
    assert (none.lip_press == base.lip_press).all()  # contacts still happen


def test_brows_lift_on_stressed_words(long_speech):
    motion = build_motion(long_speech, TalkOptions())
    raised = motion.brow > 0.3
    assert 1 <= (np.diff(raised.astype(int)) == 1).sum() <= motion.n_frames / FPS / 1.5 + 1


def test_brows_move_as_much_whatever_the_seed_and_barely_lower(long_speech):
    # Drawn lifts alone spread 0.20-0.41 from seed to seed: one video's brows moved twice another's, and a
    # brow lowered 0.06 IOD knit into a frown (issue 22's Radio2 strip).
    tracks = [build_motion(long_speech, TalkOptions(seed=seed)).brow for seed in range(6)]
    spreads = [float(track.std()) for track in tracks]
    assert max(spreads) / min(spreads) <= 1.15, spreads
    assert 0.2 <= min(spreads) and max(spreads) <= 0.3, spreads
    assert min(float(track.min()) for track in tracks) >= -0.1


def test_eyes_look_away_the_way_the_head_is_turned(long_speech):
    # Against the head's turn the eyes rolled 20 degrees and more into their corners: a sidelong glare.
    agree = []
    for seed in range(6):
        motion = build_motion(long_speech, TalkOptions(seed=seed))
        away = np.abs(motion.gaze_x) >= 6
        starts = np.flatnonzero(away[1:] & ~away[:-1]) + 1  # where the eyes jump away
        starts = starts[np.abs(motion.yaw[starts]) >= 1]
        agree += list(np.sign(motion.gaze_x[starts]) == np.sign(motion.yaw[starts]))
    assert len(agree) >= 20 and all(agree), (len(agree), sum(agree))


@pytest.mark.parametrize("fps", [1, 2, 4])
def test_clips_of_a_frame_or_two(fps):
    speech = speech_from_text("Hi.")
    assert speech.duration_s < 1.0
    motion = build_motion(speech, TalkOptions(fps=fps))
    assert motion.n_frames == speech.frame_count(fps) <= 4
    for name in ("jaw", "lip_width", "blink", "yaw"):
        assert len(getattr(motion, name)) == motion.n_frames


def test_a_look_away_due_at_the_last_frame_stays_inside_the_piece():
    # A live unit as short as "Good morning." (75 frames) with its look-away rounded onto the frame after
    # its end failed the stream; short pieces of every length and draw must give every frame a gaze.
    for seed in range(300):
        for n in (40, 60, 75, 90):
            gaze = gaze_track(np.ones(n), 25.0, np.random.default_rng(seed), np.full(n, 3.0))
            assert gaze.shape == (n, 2) and np.isfinite(gaze).all()

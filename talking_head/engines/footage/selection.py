"""Unit selection: which mouth sample shows in each frame, chosen over the whole utterance.

Each frame's target is the motion track's mouth (jaw opening, lip width, lips
pressed) turned into the bank's own descriptor scale; each sample's target
cost is its distance from that target (and from the base frame's head turn).
The join cost keeps runs of consecutive source frames (real coarticulation)
cheap and a jump dearer the less the samples look alike. Viterbi finds the
cheapest path over the best candidates of every frame (Hunt & Black 1996).
"""

from __future__ import annotations

import itertools

import numpy as np

from ...avatar.bank import MouthBank
from ...avatar.canonical import SHAPE, TURN
from ...motion.track import MotionTrack

CANDIDATES = 24  # samples per frame, by target cost (plus the successors of the previous frame's)
W_OPENING, W_WIDTH = 3.0, 0.35
# A mouth from a head turned otherwise than the base frame's sits on it at an angle that the tracker (and the eye)
# reads as parted lips or a crooked mouth; at 0.3 the live avatar's idle mouth kept such samples rather than cut.
W_TURN = 0.6
W_PRESSED = 4.0  # lips pressed (p, b, m): the opening must be closed
# The opening's cost is scaled by the spread of all the footage's openings, so a sample just parted (0.02 IOD)
# costs a closed target almost nothing; where the lips must meet, a sample whose lips do not pays this extra.
LIPS_MEET_IOD = 0.012  # an inner-lip gap up to this is lips together (a closed mouth reads 0.005-0.01)
PARTED_COST = 2.0
CLOSED_PERCENTILE, OPEN_PERCENTILE = 2, 85  # the bank's closed and wide-open mouths, as jaw 0 and 1
CLOSED_JAW = 0.04  # the track's jaw at or under this is lips together
SPEAKING_JAW = 0.05  # frames with the jaw open more than this are speech
MIN_FULL_JAW = 0.25  # quiet speech is not stretched to a wide-open mouth
DIP_SHARE = 0.5  # a local minimum of the opening under this share is a dip between syllables
CLOSURE_EVERY_S = 1.0  # speech this long without the lips meeting gets a closure at its deepest dip
LOUDNESS_MIX = 0.3  # share of the opening that follows the voice's loudness
REPEAT_COST = 0.4  # the same sample twice: a held mouth
JUMP_COST = 0.2  # any non-consecutive sample: a cut
W_JOIN = 0.5  # per unit of shape difference across a cut
COST_BLOCK = 250  # frames whose target costs are worked out together (10 s at 25 fps)


def loudness_share(rms: np.ndarray) -> np.ndarray:
    """Frame loudness 0..1 against the speech's own loud frames, compressed as heard."""
    loud = max(float(np.percentile(rms, 90)), 1e-6) if len(rms) else 1.0
    return np.clip(rms / loud, 0.0, 1.0) ** 0.5


def closures(share: np.ndarray, pressed: np.ndarray, fps: float) -> np.ndarray:
    """Frames where the lips meet: pressed (p, b, m), the jaw at rest, and the deepest dips between syllables.

    Real lips meet on most dips between syllables; at least one closure falls
    in every `CLOSURE_EVERY_S` of speech (the deepest dip there).
    """
    shut = pressed | (share <= 0)
    inside = np.zeros(len(share), bool)
    inside[1:-1] = (share[1:-1] <= share[:-2]) & (share[1:-1] <= share[2:]) & (share[1:-1] < DIP_SHARE)
    shut |= inside & (share < DIP_SHARE / 2)
    window = max(2, round(CLOSURE_EVERY_S * fps))
    for start in range(0, len(share) - window + 1, window // 2):
        span = slice(start, start + window)
        if (share[span] > 0).mean() < 0.8 or shut[span].any():
            continue  # mostly pause, or already closing
        dips = np.flatnonzero(inside[span])
        if len(dips):
            shut[start + dips[np.argmin(share[span][dips])]] = True
    return shut


def mouth_targets(
    bank: MouthBank, motion: MotionTrack, rms: np.ndarray | None = None, full_jaw: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame: target inner-lip opening and mouth width, in IOD, in the bank's own range; and lips shut.

    `rms` (the speech's loudness per frame), when given, is mixed into the
    opening wherever the track opens the mouth: a real mouth opens wider on a
    louder vowel, and the footage holds every width to choose from. `full_jaw`:
    the track's jaw that is this person's wide mouth (default: from the track).
    """
    opening, width = bank.descriptor("opening"), bank.descriptor("width")
    closed, wide = np.percentile(opening, [CLOSED_PERCENTILE, OPEN_PERCENTILE])
    jaw = np.asarray(motion.jaw, np.float64)
    # The track's jaw is scaled by loudness: its own loud vowels, not 1, are this person's wide mouth.
    speaking = jaw[jaw > SPEAKING_JAW]
    full = full_jaw or max(MIN_FULL_JAW, float(np.percentile(speaking, OPEN_PERCENTILE)) if len(speaking) else 1.0)
    # A nearly shut jaw (between syllables, on stops) is a closed mouth: real lips meet there.
    share = np.clip((jaw - CLOSED_JAW) / max(full - CLOSED_JAW, 1e-3), 0.0, 1.0)
    if rms is not None:
        share = (1 - LOUDNESS_MIX) * share + LOUDNESS_MIX * loudness_share(np.asarray(rms, np.float64)) * (share > 0)
    shut = closures(share, np.asarray(motion.lip_press) > 0.5, motion.fps)
    target_opening = np.where(shut, closed, closed + share * (wide - closed))
    narrow, mid, spread = np.percentile(width, [5, 50, 95])
    lips = np.clip(np.asarray(motion.lip_width, np.float64), -1.0, 1.0)
    target_width = mid + np.where(lips >= 0, lips * (spread - mid), lips * (mid - narrow))
    return target_opening, target_width, shut


def target_costs(
    bank: MouthBank,
    targets: tuple[np.ndarray, np.ndarray, np.ndarray],
    base_turn: np.ndarray | None,
    frames: slice = slice(None),
) -> np.ndarray:
    """(frames, samples) target cost of `frames`, given the whole utterance's `mouth_targets`."""
    opening, width = bank.descriptor("opening"), bank.descriptor("width")
    target_opening, target_width, shut = (target[frames] for target in targets)
    spread_o = max(float(np.std(opening)), 1e-3)
    spread_w = max(float(np.std(width)), 1e-3)
    # Lips shut: closed, whatever else the sample offers.
    weight_o = np.where(shut, W_PRESSED, W_OPENING)[:, None]
    cost = weight_o * ((opening[None, :] - target_opening[:, None]) / spread_o) ** 2
    cost += shut[:, None] * parted_costs(bank)[None, :]
    cost += W_WIDTH * ((width[None, :] - target_width[:, None]) / spread_w) ** 2
    if base_turn is not None:
        cost += turn_costs(bank, base_turn[frames])
    return cost


def parted_costs(bank: MouthBank) -> np.ndarray:
    """Per sample: what showing it costs where the lips must meet (0 for the samples whose lips do)."""
    return PARTED_COST * (bank.descriptor("opening") > LIPS_MEET_IOD)


def turn_costs(bank: MouthBank, base_turn: np.ndarray) -> np.ndarray:
    """(frames, samples) cost of laying each sample on a head turned as `base_turn` (frames, 2) says (NaN: free).

    A mouth from a head turned otherwise shows the lower face from another angle than the upper face's.
    """
    turn = bank.shape[:, TURN]
    spread = np.maximum(turn.std(axis=0), 1e-3)
    diff = (turn[None, :, :] - np.asarray(base_turn, np.float64)[:, None, :]) / spread
    return W_TURN * np.nan_to_num((diff**2).sum(axis=2), nan=0.0)


def _joins(bank: MouthBank) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each sample's successor in the footage (-1: none), the mouth shapes, and their spread."""
    successor = np.full(len(bank), -1)
    consecutive = np.flatnonzero(bank.frames[1:] == bank.frames[:-1] + 1)
    successor[consecutive] = consecutive + 1
    shape = bank.shape[:, SHAPE]
    return successor, shape, np.maximum(shape.std(axis=0), 1e-3)


def select_samples(
    bank: MouthBank, motion: MotionTrack, base_turn: np.ndarray | None = None, rms: np.ndarray | None = None
) -> np.ndarray:
    """The sample index for each frame: the cheapest path by target plus join cost."""
    n, m = motion.n_frames, len(bank)
    if n == 0:
        return np.zeros(0, np.int64)
    targets = mouth_targets(bank, motion, rms)
    # A block of frames' costs at a time: a 20-minute speech's (frames x samples) would be hundreds of MB.
    costs = itertools.chain.from_iterable(
        target_costs(bank, targets, base_turn, slice(start, start + COST_BLOCK)) for start in range(0, n, COST_BLOCK)
    )
    k = min(CANDIDATES, m)

    successor, shape, shape_scale = _joins(bank)
    # How unlike each sample is to every other, one row per sample as the path first needs it (a few
    # hundred rows at most, each reused for many frames).
    gap_rows: dict[int, np.ndarray] = {}

    def gaps(samples: np.ndarray) -> np.ndarray:
        for sample in samples.tolist():
            if sample not in gap_rows:
                gap_rows[sample] = (np.abs(shape[sample] - shape) / shape_scale).mean(axis=1)
        return np.stack([gap_rows[sample] for sample in samples.tolist()])

    # Each frame's candidates and choices are kept to the end (the backtrack): in the narrowest integers.
    index = np.min_scalar_type(-m)
    cost = next(costs)
    candidates = [np.argpartition(cost, k - 1)[:k].astype(index)]
    total = cost[candidates[0]]
    back: list[np.ndarray] = []
    for cost in costs:
        previous = candidates[-1]
        best = np.argpartition(cost, k - 1)[:k]
        follow = successor[previous]
        current = np.unique(np.concatenate([best, follow[follow >= 0]]))
        # Join cost from each previous candidate (rows) to each current one (columns).
        next_of_previous = np.where(follow >= 0, follow, previous)
        join = JUMP_COST + W_JOIN * gaps(next_of_previous)[:, current]
        join[current[None, :] == follow[:, None]] = 0.0
        join[current[None, :] == previous[:, None]] = REPEAT_COST
        step = total[:, None] + join
        choice = np.argmin(step, axis=0)
        total = step[choice, np.arange(len(current))] + cost[current]
        back.append(choice.astype(index))
        candidates.append(current.astype(index))
    path = np.zeros(n, np.int64)
    at = int(np.argmin(total))
    for t in range(n - 1, -1, -1):
        path[t] = candidates[t][at]
        if t > 0:
            at = int(back[t - 1][at])
    return path

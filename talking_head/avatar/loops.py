"""The loop plan: where the footage can jump from one frame to another without a visible jump.

A motion graph (Kovar et al. 2002; "video textures", Schödl et al. 2000) on the
upper face: frames a and b are compared by the landmarks of the eyes, brows,
nose and face oval in the image (the lower face is replaced anyway). A jump
from a to b (b played after a) is allowed when the upper face moves no more
than it does between ordinary consecutive frames of the clip, and the frames
around it agree too (so the motion's speed carries over). Playing the plan:
forward through the footage, and, where the footage ends or is unusable, along
the best jump back; where no jump is good enough, the footage plays backward
for a while (every step then is a real step of the footage).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..face import regions

UPPER_FACE = (
    *regions.RIGID,
    *regions.RIGHT_EYE,
    *regions.LEFT_EYE,
    *regions.RIGHT_BROW,
    *regions.LEFT_BROW,
    10,
    338,
    297,
    332,
    284,
    109,
    67,
    103,
    54,
)
OWN_STEP_PERCENTILE = 97  # the footage's own steps above this are not played (margin under its 99th percentile)
STEP_PERCENTILE = 90  # a jump may move the upper face as much as 9 in 10 of the clip's own frame steps
MIN_JUMP_FRAMES = 12  # shorter jumps only stutter
MIN_RUN_FRAMES = 25  # played in order at least this long between jumps
MAX_JUMPS_PER_FRAME = 4
MIN_LOOP_FRAMES = 75  # a jump back at a run's end goes back at least this far (or a third of the footage)
LOOKAHEAD_FRAMES = 50  # a jump is chosen this far before the footage runs out
FREE_JUMP_CHANCE = 0.02  # per frame, after a run: jumps now and then, not at every chance


def upper_face(landmarks: np.ndarray) -> np.ndarray:
    """(frames, points, 2) upper-face landmarks in IOD of each frame (NaN where no face)."""
    points = landmarks[:, list(UPPER_FACE), :2].astype(np.float32)
    right = landmarks[:, list(regions.RIGHT_EYE_CORNERS), :2].mean(axis=1)
    left = landmarks[:, list(regions.LEFT_EYE_CORNERS), :2].mean(axis=1)
    iod = np.linalg.norm(left - right, axis=1)
    scale = np.nanmedian(iod) if np.isfinite(iod).any() else 1.0
    return points / np.float32(scale)


def distance(features: np.ndarray, a, b) -> np.ndarray:
    """Mean landmark displacement (IOD) between frames a and b (arrays broadcast)."""
    return np.linalg.norm(features[a] - features[b], axis=-1).mean(axis=-1)


def frame_steps(features: np.ndarray) -> np.ndarray:
    """Displacement between each frame and the next (NaN where either has no face)."""
    return distance(features, np.arange(len(features) - 1), np.arange(1, len(features)))


@dataclass
class LoopPlan:
    """Allowed jumps `(source, target, cost)` over `usable` frames; `limit` the largest jump allowed (IOD).

    Frame numbers here count from `offset`, the footage frame the plan starts at.
    """

    usable: np.ndarray
    jumps: np.ndarray
    limit: float
    idle_start: int
    smooth: np.ndarray
    """(frames - 1,) whether the footage's own step from frame a to a + 1 is played: both usable, and not one of
    its largest 3 % (a blink's snap, a jerk of the head), so no step of the plan moves more than that."""
    offset: int = 0

    @classmethod
    def build(cls, landmarks: np.ndarray, usable: np.ndarray, offset: int = 0) -> LoopPlan:
        features = upper_face(landmarks)
        n = len(features)
        steps = frame_steps(features)
        both = np.isfinite(steps) & usable[:-1] & usable[1:]
        ok_steps = steps[both]
        limit = float(np.percentile(ok_steps, STEP_PERCENTILE)) if len(ok_steps) else 0.0
        largest = float(np.percentile(ok_steps, OWN_STEP_PERCENTILE)) if len(ok_steps) else 0.0
        smooth = both & (np.nan_to_num(steps, nan=np.inf) <= largest)
        good = np.flatnonzero(usable)
        found: list[tuple[int, int, float]] = []
        if len(good) > 2 * MIN_JUMP_FRAMES:
            for a in good:
                b = good[np.abs(good - a) >= MIN_JUMP_FRAMES]
                b = b[(b >= 1) & (b < n - 1)]
                if a + 1 >= n or not len(b):
                    continue
                here = distance(features, a, b)
                # The frames around the jump agree too: the motion's speed carries over.
                before = distance(features, a - 1 if a > 0 else a, b - 1)
                after = distance(features, min(a + 1, n - 1), b + 1)
                cost = here + 0.5 * (before + after)
                keep = np.isfinite(cost) & (here <= limit) & usable[b - 1] & usable[np.minimum(b + 1, n - 1)]
                order = np.argsort(np.where(keep, cost, np.inf))[:MAX_JUMPS_PER_FRAME]
                found += [(int(a), int(b[k]), float(cost[k])) for k in order if keep[k]]
        jumps = np.array(found, np.float64).reshape(-1, 3)
        return cls(usable.astype(bool), jumps, limit, _idle_start(jumps, usable), smooth, offset)

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "usable": self.usable,
            "jumps": self.jumps,
            "limit": np.array([self.limit]),
            "idle_start": np.array([self.idle_start]),
            "offset": np.array([self.offset]),
            "smooth": self.smooth,
        }

    @classmethod
    def from_arrays(cls, arrays) -> LoopPlan:
        return cls(
            np.asarray(arrays["usable"], bool),
            np.asarray(arrays["jumps"], np.float64).reshape(-1, 3),
            float(arrays["limit"][0]),
            int(arrays["idle_start"][0]),
            np.asarray(arrays["smooth"], bool),
            int(arrays["offset"][0]),
        )

    def play(self, start: int, rng: np.random.Generator, in_order_until: int = 0) -> Iterator[int]:
        """Footage frame numbers for ever: from `start`, in order (at least up to `in_order_until`), then
        through the plan, jumping where allowed. Frames before the plan's `offset` are played in order."""
        for frame in range(start, min(self.offset, max(in_order_until, start))):
            yield frame
        start = max(0, start - self.offset)
        for frame in self._play(start, rng, max(0, in_order_until - self.offset)):
            yield self.offset + frame

    def _play(self, start: int, rng: np.random.Generator, in_order_until: int) -> Iterator[int]:
        n = len(self.usable)
        frame, direction, run = start, 1, 0
        planned: tuple[int, int] | None = None
        seen = np.full(n, -1, np.int64)  # when each frame was last played (-1: never)
        for played in itertools.count():
            seen[frame] = played
            yield frame
            run += 1
            if frame < in_order_until and frame + 1 < n:
                frame += 1
                continue
            if planned is not None and frame == planned[0]:
                frame, direction, run, planned = planned[1], 1, 0, None
                continue
            if direction == 1 and planned is None:
                end = self._run_end(frame)
                if end - frame <= LOOKAHEAD_FRAMES:
                    # Not before this run has played a while: two jumps close together flicker.
                    planned = self._best_jump(frame + max(0, MIN_RUN_FRAMES - run), end, seen)
                    if planned is not None and planned[0] == frame:
                        frame, run, planned = planned[1], 0, None
                        continue
                elif run >= MIN_RUN_FRAMES and rng.random() < FREE_JUMP_CHANCE:
                    jump = self._best_jump(frame, frame, seen)
                    if jump is not None:
                        frame, run = jump[1], 0
                        continue
            if not self._can_step(frame, direction):
                direction, run = -direction, 0  # no good jump: play backward (every step a real one)
                if not self._can_step(frame, direction):
                    continue  # a lone usable frame: hold it
            frame += direction

    def _can_step(self, frame: int, direction: int) -> bool:
        """Whether the footage's own step from `frame` one frame forward (+1) or backward (-1) is played."""
        between = frame if direction > 0 else frame - 1
        return 0 <= between < len(self.smooth) and bool(self.smooth[between])

    def _run_end(self, frame: int) -> int:
        """The last frame of the smooth run that `frame` is in."""
        return int(self._run_ends()[frame])

    def _run_ends(self) -> np.ndarray:
        if getattr(self, "_ends", None) is None:
            ends = np.empty(len(self.usable), np.int64)
            end = len(self.usable) - 1
            for frame in range(len(self.usable) - 1, -1, -1):
                if frame < len(self.smooth) and not self.smooth[frame]:
                    end = frame
                ends[frame] = end
            self._ends = ends
        return self._ends

    def _best_jump(self, first: int, last: int, seen: np.ndarray) -> tuple[int, int] | None:
        """A jump leaving from a frame in [first, last] to footage not seen for the longest time.

        Only jumps that leave this stretch of footage: back at least `MIN_LOOP_FRAMES` (a short loop
        repeated shows; playing backward shows less) or forward past its end. Every allowed jump moves
        the upper face no more than an ordinary step, so the one to the least recently seen footage is
        taken: over a long speech the whole clip is used.
        """
        if not len(self.jumps):
            return None
        source, target = self.jumps[:, 0], self.jumps[:, 1].astype(int)
        min_loop = min(MIN_LOOP_FRAMES, len(self.usable) // 3)
        leaving = (source >= first) & (source <= last) & ((target <= source - min_loop) | (target > last))
        # Land where the footage then plays on for a while: never a flicker between two jump points.
        lands = self._run_ends()[target] - target >= MIN_RUN_FRAMES
        rows = self.jumps[leaving & lands]
        if not len(rows):
            return None
        order = np.lexsort((rows[:, 2], seen[rows[:, 1].astype(int)]))
        return int(rows[order[0], 0]), int(rows[order[0], 1])


def _idle_start(jumps: np.ndarray, usable: np.ndarray) -> int:
    """Where an avatar starts idling: the target of the best backward jump (a loop begins there)."""
    back = jumps[jumps[:, 1] < jumps[:, 0]] if len(jumps) else jumps
    if len(back):
        return int(back[np.argmin(back[:, 2]), 1])
    good = np.flatnonzero(usable)
    return int(good[0]) if len(good) else 0

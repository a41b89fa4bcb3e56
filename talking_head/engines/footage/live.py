"""The footage engine frame by frame, for live streams: the footage plays on through its loop plan, and
each frame's mouth is chosen from that frame's motion as it comes.

A live stream has no whole utterance to select over (text arrives a unit at
a time, agent audio a few milliseconds at a time), so the choice is the
cheapest next step of `selection`'s path: the sample whose shape is nearest
the frame's mouth target, from a head turned as the footage frame's is, a
run of consecutive source frames kept where it fits (real coarticulation), a
cut costing what it costs there. Between
units the motion's mouth is closed, so the stream idles on the person's
own footage with a closed mouth.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ...avatar import Avatar
from ...avatar.canonical import SHAPE, apply, head_turn
from ...errors import EngineError
from ...options import TalkOptions
from ...settings import Settings
from .engine import compose, output_size, sized, tracked
from .selection import (
    CLOSED_PERCENTILE,
    JUMP_COST,
    OPEN_PERCENTILE,
    REPEAT_COST,
    SPEAKING_JAW,
    W_JOIN,
    W_OPENING,
    W_PRESSED,
    W_WIDTH,
    parted_costs,
    turn_costs,
)

FULL_JAW = 0.5  # with no utterance to scale by, this jaw opening (of the motion track's 0-1) is a wide mouth


@dataclass
class LivePrepared:
    """One live stream's avatar and where it is: the next footage frames, the last mouth shown."""

    avatar: Avatar
    width: int
    height: int
    bases: Iterator[int]
    targets: dict[str, float]
    previous: int = -1
    fits: dict[int, np.ndarray | None] = field(default_factory=dict)

    framed = "footage"


class LiveFootageEngine:
    """`prepare(avatar, options)` then `draw(prepared, pose)` per frame, like the builtin engine's live use;
    its frames come in order (each draws the footage's next frame), as a live stream asks for them."""

    name = "footage"

    def unavailable(self, options: TalkOptions, settings: Settings) -> str | None:
        return None

    def render(self, prepared: LivePrepared, speech, motion) -> Iterator[np.ndarray]:
        for i in range(motion.n_frames):
            yield self.draw(prepared, motion.frame(i))

    def prepare(self, avatar, options: TalkOptions, settings: Settings | None = None) -> LivePrepared:
        if not isinstance(avatar, Avatar):
            raise EngineError("the footage engine needs an avatar, not a photo")
        width, height = output_size(avatar, options.size)
        opening, width_of = avatar.bank.descriptor("opening"), avatar.bank.descriptor("width")
        closed, wide = np.percentile(opening, [CLOSED_PERCENTILE, OPEN_PERCENTILE])
        narrow, mid, spread = np.percentile(width_of, [5, 50, 95])
        targets = {
            "closed": float(closed),
            "wide": float(wide),
            "narrow": float(narrow),
            "mid": float(mid),
            "spread": float(spread),
            "spread_opening": max(float(np.std(opening)), 1e-3),
            "spread_width": max(float(np.std(width_of)), 1e-3),
        }
        rng = np.random.default_rng(options.seed)
        bases = avatar.loop.play(avatar.loop.offset + avatar.loop.idle_start, rng)
        return LivePrepared(avatar, width, height, bases, targets)

    def _choose(self, prepared: LivePrepared, pose: dict[str, float], turn: np.ndarray | None) -> int:
        """The next sample: nearest this pose's mouth on a head turned as `turn` says, a run kept where it fits."""
        bank, t = prepared.avatar.bank, prepared.targets
        jaw = pose.get("jaw", 0.0)
        # Pressed lips (p, b, m) and a jaw at rest (a pause, idling) both want the mouth closed, firmly enough
        # to leave a run of the footage's own speech rather than follow it on.
        shut = pose.get("lip_press", 0.0) > 0.5 or jaw <= SPEAKING_JAW
        if shut:
            opening, weight = t["closed"], W_PRESSED
        else:
            opening = t["closed"] + float(np.clip(jaw / FULL_JAW, 0, 1)) * (t["wide"] - t["closed"])
            weight = W_OPENING
        lips = float(np.clip(pose.get("lip_width", 0.0), -1, 1))
        width = t["mid"] + (lips * (t["spread"] - t["mid"]) if lips >= 0 else lips * (t["mid"] - t["narrow"]))
        cost = weight * ((bank.descriptor("opening") - opening) / t["spread_opening"]) ** 2
        cost += W_WIDTH * ((bank.descriptor("width") - width) / t["spread_width"]) ** 2
        if shut:
            cost += parted_costs(bank)
        if turn is not None:
            cost += turn_costs(bank, turn[None])[0]
        previous = prepared.previous
        if previous >= 0:
            shape = bank.shape[:, SHAPE]
            scale = np.maximum(shape.std(axis=0), 1e-3)
            cost += JUMP_COST + W_JOIN * (np.abs(shape - shape[previous]) / scale).mean(axis=1)
            cost[previous] += REPEAT_COST - JUMP_COST
            follow = previous + 1
            if follow < len(bank) and bank.frames[follow] == bank.frames[previous] + 1:
                cost[follow] = (
                    cost[follow] - JUMP_COST - W_JOIN * float((np.abs(shape[follow] - shape[previous]) / scale).mean())
                )
        prepared.previous = int(np.argmin(cost))
        return prepared.previous

    def draw(self, prepared: LivePrepared, pose: dict[str, float]) -> np.ndarray:
        """The next frame: the next footage frame of the loop plan, with the mouth this pose asks for."""
        avatar = prepared.avatar
        base = int(next(prepared.bases))
        if base not in prepared.fits:
            prepared.fits[base] = avatar.canonical.fit(avatar.landmarks[base]) if tracked(avatar, base) else None
        fit = prepared.fits[base]
        turn = None if fit is None else head_turn(apply(fit, avatar.landmarks[base]), avatar.iod)
        sample = self._choose(prepared, pose, turn)
        frame = avatar.frames.get(base)
        if fit is not None:
            frame = compose(avatar, frame, base, fit, sample)
        return sized(frame, prepared.width, prepared.height)

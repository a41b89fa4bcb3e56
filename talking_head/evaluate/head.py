"""Head motion: how far the face moves, how much it tilts, and how shakily.

All distances are in inter-ocular units (the median inter-ocular distance of
the video), so the numbers do not depend on the frame size.
"""

from __future__ import annotations

import numpy as np

MIN_FRAMES = 3


def head_motion(centre: np.ndarray, roll_deg: np.ndarray, rigid: np.ndarray, iod_px: float) -> dict:
    """`motion_iod`: std of the face centre (x and y combined); `roll_std_deg`; `jitter_iod`.

    `centre` is (n, 2), the mean of the rigid landmarks; `rigid` is (n, k, 2),
    the nose tip and eye corners. Jitter is the RMS frame-to-frame
    acceleration p[t+1] - 2 p[t] + p[t-1] of those points: smooth motion has
    almost none at 25 fps, a shaking head or a wobbling warp has much.
    """
    empty = {"motion_iod": None, "roll_std_deg": None, "jitter_iod": None}
    found = np.isfinite(centre).all(axis=1)
    if found.sum() < MIN_FRAMES or not np.isfinite(iod_px) or iod_px <= 0:
        return empty
    c = centre[found]
    motion = float(np.sqrt(np.var(c[:, 0]) + np.var(c[:, 1]))) / iod_px
    roll = float(np.std(np.asarray(roll_deg)[found]))
    # Acceleration only across three consecutive frames that all have a face.
    acc = rigid[2:] - 2 * rigid[1:-1] + rigid[:-2]
    ok = found[2:] & found[1:-1] & found[:-2]
    jitter = None
    if ok.any():
        magnitudes = np.linalg.norm(acc[ok], axis=-1)
        jitter = round(float(np.sqrt(np.mean(magnitudes**2))) / iod_px, 5)
    return {"motion_iod": round(motion, 5), "roll_std_deg": round(roll, 4), "jitter_iod": jitter}

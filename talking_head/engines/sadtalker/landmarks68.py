"""MediaPipe's 478 face-mesh points -> the iBUG 68-point and the 5-point conventions SadTalker's framing expects.

SadTalker finds faces with detector weights we do not ship; we already have
MediaPipe's mesh, so each iBUG point is the mesh vertex at the same anatomical
spot. "Right" is the subject's right (the image's left in an unmirrored photo).
The framing and the 3DMM alignment read only the eyes, the nose tip and the
mouth corners; the other points complete the convention.
"""

from __future__ import annotations

import numpy as np

# iBUG 68, 0-based, in iBUG order.
MEDIAPIPE_TO_IBUG68 = (
    # 0-16: jaw line, from the right temple over the chin to the left temple
    127,
    234,
    93,
    132,
    58,
    172,
    136,
    176,
    152,
    400,
    365,
    397,
    288,
    361,
    323,
    454,
    356,
    # 17-21: right brow, outer to inner; 22-26: left brow, inner to outer
    70,
    63,
    105,
    66,
    107,
    336,
    296,
    334,
    293,
    300,
    # 27-30: nose bridge, top down to the tip; 31-35: nostrils, right to left
    6,
    197,
    195,
    4,
    99,
    97,
    2,
    326,
    328,
    # 36-41: right eye, outer corner, upper lid, inner corner, lower lid
    33,
    160,
    158,
    133,
    153,
    144,
    # 42-47: left eye, inner corner, upper lid, outer corner, lower lid
    362,
    385,
    387,
    263,
    373,
    380,
    # 48-59: outer lips from the right corner, upper lip first
    61,
    39,
    37,
    0,
    267,
    269,
    291,
    405,
    314,
    17,
    84,
    181,
    # 60-67: inner lips from the right corner, upper lip first
    78,
    82,
    13,
    312,
    308,
    317,
    14,
    87,
)

NOSE_TIP = 30
RIGHT_EYE = range(36, 42)
LEFT_EYE = range(42, 48)
RIGHT_EYE_CORNERS = (36, 39)
LEFT_EYE_CORNERS = (42, 45)
MOUTH_CORNERS = (48, 54)


def ibug68(mesh: np.ndarray) -> np.ndarray:
    """(478, 2+) MediaPipe points -> (68, 2) iBUG points, x/y in the same pixels."""
    return np.asarray(mesh, dtype=np.float64)[list(MEDIAPIPE_TO_IBUG68), :2]


def five_points(lm68: np.ndarray) -> np.ndarray:
    """(68, 2) -> (5, 2): right eye centre, left eye centre, nose tip, right and left mouth corner."""
    lm68 = np.asarray(lm68, dtype=np.float64)
    return np.stack(
        [
            lm68[list(RIGHT_EYE_CORNERS)].mean(axis=0),
            lm68[list(LEFT_EYE_CORNERS)].mean(axis=0),
            lm68[NOSE_TIP],
            lm68[MOUTH_CORNERS[0]],
            lm68[MOUTH_CORNERS[1]],
        ]
    )

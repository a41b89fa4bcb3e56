"""Named landmark groups of MediaPipe's 478-point face mesh, and where the eyes are.

"Right" and "left" are the subject's own: the subject's right eye is on the
image's left in an unmirrored photo.
"""

import numpy as np

LIPS_OUTER_UPPER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_OUTER_LOWER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIPS_INNER_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_INNER_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
INNER_LIP_TOP, INNER_LIP_BOTTOM = 13, 14
OUTER_LIP_TOP, OUTER_LIP_BOTTOM = 0, 17
MOUTH_CORNERS = (61, 291)
INNER_MOUTH_CORNERS = (78, 308)

# Eye contours, starting at the outer corner, upper lid first.
RIGHT_EYE = (33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7)
LEFT_EYE = (263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249)
# Six points per eye for the eye aspect ratio: corner, two upper, corner, two lower.
RIGHT_EYE_EAR = (33, 160, 158, 133, 153, 144)
LEFT_EYE_EAR = (263, 387, 385, 362, 380, 373)
RIGHT_EYE_CORNERS = (33, 133)
LEFT_EYE_CORNERS = (263, 362)
RIGHT_IRIS = (468, 469, 470, 471, 472)
LEFT_IRIS = (473, 474, 475, 476, 477)

RIGHT_BROW = (70, 63, 105, 66, 107, 55, 65, 52, 53, 46)
LEFT_BROW = (300, 293, 334, 296, 336, 285, 295, 282, 283, 276)

FACE_OVAL = (
    10,
    338,
    297,
    332,
    284,
    251,
    389,
    356,
    454,
    323,
    361,
    288,
    397,
    365,
    379,
    378,
    400,
    377,
    152,
    148,
    176,
    149,
    150,
    136,
    172,
    58,
    132,
    93,
    234,
    127,
    162,
    21,
    54,
    103,
    67,
    109,
)
NOSE_TIP = 1
CHIN = 152
FOREHEAD = 10
# Points that move only with the head, never with expression.
RIGID = (1, 4, 6, 168, 197, 195, 5, 33, 133, 263, 362, 127, 356)


def eye_centres(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The subject's right and left eye centres (x, y): midpoints of the eye corners."""
    right = landmarks[list(RIGHT_EYE_CORNERS), :2].mean(axis=0)
    left = landmarks[list(LEFT_EYE_CORNERS), :2].mean(axis=0)
    return right, left


def inter_ocular(landmarks: np.ndarray) -> float:
    """Distance between the eye centres, in the landmarks' units."""
    right, left = eye_centres(landmarks)
    return float(np.linalg.norm(left - right))

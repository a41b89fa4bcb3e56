"""52 blendshape scores (ARKit names) from the landmarks: MediaPipe's face_blendshapes model.

The model reads 146 of the 478 landmarks, x and y in the photo's pixels, and
scores each named expression from 0 (absent) to 1 (full): `jawOpen` says the
photo's mouth is open, `mouthSmileLeft`/`mouthSmileRight` that it smiles,
`eyeBlinkLeft`/`eyeBlinkRight` that the eyes are shut ("Left" and "Right" are
the subject's own). `_neutral` is the model's score for no expression.
"""

from __future__ import annotations

import numpy as np

from .runtime import model

BLENDSHAPE_MODEL = "face_blendshapes.tflite"

# The landmarks the model reads, in its input order (MediaPipe face_blendshapes_graph.cc).
MODEL_LANDMARKS = (
    0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66,
    67, 70, 78, 80, 81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133, 136, 144, 145,
    146, 148, 149, 150, 152, 153, 154, 155, 157, 158, 159, 160, 161, 162, 163, 168, 172, 173, 176,
    178, 181, 185, 191, 195, 197, 234, 246, 249, 251, 263, 267, 269, 270, 276, 282, 283, 284, 285,
    288, 291, 293, 295, 296, 297, 300, 308, 310, 311, 312, 314, 317, 318, 321, 323, 324, 332, 334,
    336, 338, 356, 361, 362, 365, 373, 374, 375, 377, 378, 379, 380, 381, 382, 384, 385, 386, 387,
    388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454, 466, 468, 469, 470, 471, 472, 473, 474,
    475, 476, 477,
)

NAMES = (
    "_neutral",
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft",
    "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight",
    "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight",
    "jawForward", "jawLeft", "jawOpen", "jawRight",
    "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft",
    "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower", "mouthRollUpper",
    "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight", "mouthStretchLeft",
    "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight", "noseSneerLeft", "noseSneerRight",
)


def blendshapes(landmarks: np.ndarray) -> dict[str, float]:
    """Expression scores in [0, 1] by name, from (478, 3) landmarks in photo pixels."""
    points = landmarks[list(MODEL_LANDMARKS), :2].astype(np.float32)
    (scores,) = model(BLENDSHAPE_MODEL)(points[None])
    return {name: float(np.clip(s, 0.0, 1.0)) for name, s in zip(NAMES, scores.reshape(-1))}

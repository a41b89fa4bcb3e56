"""Mouth motion is sized in true inter-ocular distances: a turned face opens as wide as a frontal one."""

import numpy as np
import pytest

from talking_head.engines.builtin.deform import Deformer
from talking_head.engines.builtin.mesh import build_mesh
from talking_head.engines.builtin.photo_mouth import PhotoMouth
from talking_head.face import analyze_face, regions
from talking_head.pipeline import DEFAULT_FACE

REST = dict(jaw=0, lip_width=0, lip_press=0, lip_tuck=0, blink=0, brow=0, yaw=0, pitch=0, roll=0)


def _turned(landmarks: np.ndarray, degrees: float) -> np.ndarray:
    """The landmarks turned about the vertical axis through the face's centre (orthographic view)."""
    centre = landmarks.mean(axis=0)
    a = np.radians(degrees)
    turn = np.array([[np.cos(a), 0, -np.sin(a)], [0, 1, 0], [np.sin(a), 0, np.cos(a)]])
    return ((landmarks - centre) @ turn.T + centre).astype(np.float32)


@pytest.fixture(scope="module")
def face():
    return analyze_face(DEFAULT_FACE)


def _lip_gap_px(face, landmarks: np.ndarray, jaw: float) -> float:
    h, w = face.image.shape[:2]
    points = Deformer(build_mesh(landmarks, w, h, face.image)).positions(dict(REST, jaw=jaw))
    return float(np.linalg.norm(points[regions.INNER_LIP_TOP] - points[regions.INNER_LIP_BOTTOM]))


def test_a_turned_face_is_read_as_turned(face):
    frontal = PhotoMouth.of(face.landmarks)
    turned = PhotoMouth.of(_turned(face.landmarks, 40))
    assert frontal.depth_scale == pytest.approx(1.0, abs=0.05)
    assert turned.depth_scale == pytest.approx(frontal.depth_scale / np.cos(np.radians(40)), rel=0.05)
    # Its normal points sideways in the picture, and the photo's parted lips stay parted.
    assert abs(turned.forward[0]) > abs(frontal.forward[0]) + 0.4
    assert frontal.parted and turned.parted
    assert turned.gap_iod == pytest.approx(frontal.gap_iod, rel=0.15)  # the lips lie at different depths


def test_a_turned_face_opens_its_mouth_as_wide_in_pixels(face):
    """The picture's IOD shrinks with the turn, the opening downward does not."""
    frontal = _lip_gap_px(face, face.landmarks, 0.6)
    turned = _lip_gap_px(face, _turned(face.landmarks, 40), 0.6)
    assert turned == pytest.approx(frontal, rel=0.08)
    assert frontal > 0.3 * regions.inter_ocular(face.landmarks)  # and it really opens

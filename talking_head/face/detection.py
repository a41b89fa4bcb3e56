"""Finding faces: MediaPipe's BlazeFace detectors, with our own anchors, box decoding and NMS.

The full-range detector (192x192 input, faces up to a few metres away) looks
first; a large photo where it finds nothing is searched again in overlapping
tiles, and a face so close that it fills the photo falls to the short-range
detector (128x128, the Face Landmarker's own). Each detection carries six
keypoints; the first two (the eyes) set the rotation of the region the mesh
model is shown.

The numbers follow MediaPipe's graph options for these models
(`face_detector_graph.cc`, `face_detection_*_range.pbtxt`): SSD anchors of
fixed size on a grid per stride, box offsets in input pixels, a sigmoid score,
and weighted non-maximum suppression at an overlap of 0.3.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from .runtime import model

DETECT_MAX_SIDE_PX = 1920  # the photo is searched whole at most this large
TILE_PX = 1600  # tile side when a large photo must be searched piece by piece
MIN_DETECTION_SCORE = 0.5
MIN_SUPPRESSION_IOU = 0.3  # boxes overlapping more than this are one face
SCORE_CLIP = 100.0  # raw scores are clipped before the sigmoid, as MediaPipe does
N_KEYPOINTS = 6  # subject's right eye, left eye, nose tip, mouth centre, right ear, left ear


@dataclass(frozen=True)
class DetectorSpec:
    """One detector model: its file, its square input side and its anchor grid."""

    file: str
    input_px: int
    grids: tuple[tuple[int, int], ...]  # (stride in input pixels, anchors per cell)


FULL_RANGE = DetectorSpec("face_detection_full_range_sparse.tflite", 192, ((4, 1),))
# Four SSD layers at strides 8, 16, 16, 16 with two anchors each: the three 16s share one grid.
SHORT_RANGE = DetectorSpec("face_detector.tflite", 128, ((8, 2), (16, 6)))


@dataclass(frozen=True)
class Detection:
    """A face box in the photo's pixels, the detector's confidence, and its six keypoints (x, y)."""

    x: float
    y: float
    w: float
    h: float
    score: float
    keypoints: tuple[tuple[float, float], ...] = ()

    @property
    def area(self) -> float:
        return self.w * self.h


@functools.cache
def anchors(spec: DetectorSpec) -> np.ndarray:
    """Anchor centres (N, 2) in the detector's input, as fractions of its side (fixed-size anchors)."""
    centres = []
    for stride, per_cell in spec.grids:
        cells = -(-spec.input_px // stride)
        ys, xs = np.mgrid[0:cells, 0:cells]
        grid = (np.stack([xs.ravel(), ys.ravel()], axis=1) + 0.5) / cells
        centres.append(np.repeat(grid, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


def _letterbox(image: np.ndarray, side: int) -> tuple[np.ndarray, float, float, float]:
    """The image scaled to fit a `side` square, centred on black; returns it with scale and offsets."""
    h, w = image.shape[:2]
    scale = side / max(h, w)
    rw, rh = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(image, (rw, rh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    ox, oy = (side - rw) // 2, (side - rh) // 2
    square = np.zeros((side, side, 3), np.uint8)
    square[oy : oy + rh, ox : ox + rw] = resized
    return square, rw / w, ox, oy


def decode(raw_boxes: np.ndarray, raw_scores: np.ndarray, spec: DetectorSpec, min_score: float) -> list[np.ndarray]:
    """Candidate faces as rows (score, x0, y0, x1, y1, 6 keypoints x, y) in input fractions."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores.reshape(-1).astype(np.float64), -SCORE_CLIP, SCORE_CLIP)))
    keep = scores >= min_score
    raw = raw_boxes.reshape(-1, 4 + 2 * N_KEYPOINTS)[keep] / spec.input_px
    centres = anchors(spec)[keep]
    cx, cy = raw[:, 0] + centres[:, 0], raw[:, 1] + centres[:, 1]
    half_w, half_h = raw[:, 2] / 2, raw[:, 3] / 2
    points = raw[:, 4:].reshape(-1, N_KEYPOINTS, 2) + centres[:, None, :]
    rows = np.column_stack(
        [scores[keep], cx - half_w, cy - half_h, cx + half_w, cy + half_h, points.reshape(len(raw), 2 * N_KEYPOINTS)]
    )
    return list(rows)


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], others[:, 0])
    y0 = np.maximum(box[1], others[:, 1])
    x1 = np.minimum(box[2], others[:, 2])
    y1 = np.minimum(box[3], others[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-12)


def weighted_nms(candidates: list[np.ndarray], min_iou: float = MIN_SUPPRESSION_IOU) -> list[np.ndarray]:
    """One row per face: each cluster of overlapping candidates becomes their score-weighted mean.

    The cluster keeps its best score; averaging (rather than keeping only the
    best box) steadies the box and keypoints, as MediaPipe's WEIGHTED mode does.
    """
    if not candidates:
        return []
    rows = np.array(sorted(candidates, key=lambda r: -r[0]))
    merged = []
    while len(rows):
        cluster = _iou(rows[0, 1:5], rows[:, 1:5]) > min_iou
        cluster[0] = True
        weights = rows[cluster, 0:1]
        mean = (rows[cluster, 1:] * weights).sum(axis=0) / weights.sum()
        merged.append(np.concatenate([[rows[0, 0]], mean]))
        rows = rows[~cluster]
    return merged


def _detect(image: np.ndarray, spec: DetectorSpec, x0: int = 0, y0: int = 0) -> list[Detection]:
    square, scale, ox, oy = _letterbox(image, spec.input_px)
    tensor = square.astype(np.float32) / 127.5 - 1.0  # the detectors take [-1, 1]
    raw_boxes, raw_scores = model(spec.file)(tensor[None])
    found = []
    for row in weighted_nms(decode(raw_boxes, raw_scores, spec, MIN_DETECTION_SCORE)):
        xy = (row[1:].reshape(-1, 2) * spec.input_px - (ox, oy)) / scale + (x0, y0)
        (bx0, by0), (bx1, by1) = xy[0], xy[1]
        keypoints = tuple((float(x), float(y)) for x, y in xy[2:])
        found.append(Detection(float(bx0), float(by0), float(bx1 - bx0), float(by1 - by0), float(row[0]), keypoints))
    return found


def detect_faces(image: np.ndarray) -> list[Detection]:
    """All faces found in `image` (RGB uint8), largest first, in its pixels.

    A photo much larger than the detector's input is searched whole first, then,
    if that finds nothing (a small face shrinks to a few pixels), in
    overlapping tiles at a finer scale; a face that fills the photo, too close
    for the full-range model, is looked for with the short-range one.
    """
    h, w = image.shape[:2]
    scale = min(1.0, DETECT_MAX_SIDE_PX / max(h, w))
    small = (
        image if scale == 1.0 else cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    )
    found = [_rescaled(d, 1 / scale) for d in _detect(small, FULL_RANGE)]
    if not found and max(h, w) > TILE_PX:
        step = TILE_PX // 2
        for ty in range(0, max(h - step, 1), step):
            for tx in range(0, max(w - step, 1), step):
                found += _detect(image[ty : ty + TILE_PX, tx : tx + TILE_PX], FULL_RANGE, tx, ty)
        found = _unique(found)
    if not found:
        found = [_rescaled(d, 1 / scale) for d in _detect(small, SHORT_RANGE)]
    return sorted(found, key=lambda d: d.area, reverse=True)


def _rescaled(d: Detection, factor: float) -> Detection:
    keypoints = tuple((x * factor, y * factor) for x, y in d.keypoints)
    return Detection(d.x * factor, d.y * factor, d.w * factor, d.h * factor, d.score, keypoints)


def _unique(found: list[Detection]) -> list[Detection]:
    """Drop detections of the same face from overlapping tiles (the more confident one stays)."""
    kept: list[Detection] = []
    for d in sorted(found, key=lambda d: d.score, reverse=True):
        centre = np.array([d.x + d.w / 2, d.y + d.h / 2])
        if all(np.linalg.norm(centre - (k.x + k.w / 2, k.y + k.h / 2)) > 0.5 * max(k.w, k.h) for k in kept):
            kept.append(d)
    return kept

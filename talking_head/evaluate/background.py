"""Background PSNR: is everything away from the head left as it was?

The reference is the source photo (brought into the video's frame by a
similarity transform found on the background itself: SIFT matches outside the
head, refined with ECC), or else the video's first frame with a face. "Away from the head"
is outside an enlarged face outline (hair, ears and the falloff of a head warp
included) and a neck band under the chin, in the reference and the frame alike.
PSNR is on luma (BT.601 Y), pooled over all frames: 10 log10(255^2 / mean
squared error).
"""

from __future__ import annotations

import cv2
import numpy as np

from ..face import regions

HEAD_SCALE = 1.5  # face outline enlarged this much about its centre
NECK_DEPTH = 0.6  # neck band under the chin, in face heights
NECK_WIDTH = 0.8  # neck band width, in face widths
MIN_SHARE = 0.03  # under this share of the frame left to measure: not measurable
PSNR_CAP_DB = 99.0  # identical pixels
ECC_ITERATIONS = 100
ECC_EPS = 1e-6
SIFT_FEATURES = 2000
MATCH_RATIO = 0.75  # Lowe's ratio test
MIN_MATCHES = 12
# A background fit whose scale differs from the faces' own by more than this is a wrong fit (matches on
# a repeating pattern, near-collinear points), not the video's framing: the faces' fit is used instead.
MAX_SCALE_DISAGREEMENT = 1.5


def head_mask(shape: tuple[int, int], landmarks: np.ndarray) -> np.ndarray:
    """uint8 mask (255 = head region) for a frame of `shape` (h, w)."""
    mask = np.zeros(shape, np.uint8)
    oval = landmarks[list(regions.FACE_OVAL), :2].astype(np.float64)
    centre = oval.mean(axis=0)
    big = centre + HEAD_SCALE * (oval - centre)
    cv2.fillPoly(mask, [np.round(big).astype(np.int32)], 255)
    width = np.ptp(oval[:, 0])
    height = np.ptp(oval[:, 1])
    chin = landmarks[regions.CHIN, :2]
    x0, x1 = chin[0] - NECK_WIDTH * width / 2, chin[0] + NECK_WIDTH * width / 2
    y0, y1 = chin[1] - 0.2 * height, chin[1] + NECK_DEPTH * height
    cv2.rectangle(mask, (int(x0), int(y0)), (int(np.ceil(x1)), int(np.ceil(y1))), 255, -1)
    return mask


def luma(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.float32)
    return 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]


def _background_fit(
    source: np.ndarray, source_landmarks: np.ndarray, frame: np.ndarray, frame_landmarks: np.ndarray
) -> np.ndarray | None:
    """Similarity transform source -> frame from SIFT matches away from the head in both; None if too few."""
    sift = cv2.SIFT.create(nfeatures=SIFT_FEATURES)
    found = []
    for image, landmarks in ((source, source_landmarks), (frame, frame_landmarks)):
        gray = np.clip(luma(image), 0, 255).astype(np.uint8)
        found.append(sift.detectAndCompute(gray, 255 - head_mask(gray.shape, landmarks)))
    (kp_s, des_s), (kp_f, des_f) = found
    if des_s is None or des_f is None or len(kp_s) < MIN_MATCHES or len(kp_f) < MIN_MATCHES:
        return None
    pairs = cv2.BFMatcher(cv2.NORM_L2).knnMatch(des_s, des_f, k=2)
    good = [m for m, n in (p for p in pairs if len(p) == 2) if m.distance < MATCH_RATIO * n.distance]
    # One match per frame point: a blurred frame with few keypoints draws many photo points onto one,
    # and a fit to those collapses to a point.
    best: dict[int, cv2.DMatch] = {}
    for match in good:
        if match.trainIdx not in best or match.distance < best[match.trainIdx].distance:
            best[match.trainIdx] = match
    good = list(best.values())
    if len(good) < MIN_MATCHES:
        return None
    src = np.array([kp_s[m.queryIdx].pt for m in good], np.float32)
    dst = np.array([kp_f[m.trainIdx].pt for m in good], np.float32)
    matrix, inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=2.0)
    if matrix is None or inliers.sum() < MIN_MATCHES:
        return None
    return matrix


def _scale(matrix: np.ndarray) -> float:
    return float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))


def _agrees(scale: float, reference: float) -> bool:
    return reference / MAX_SCALE_DISAGREEMENT <= scale <= reference * MAX_SCALE_DISAGREEMENT


def align_source(
    source: np.ndarray, source_landmarks: np.ndarray, frame: np.ndarray, frame_landmarks: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The source photo warped onto `frame`'s pixels, its landmarks there, and where it covers the frame.

    The last (bool, frame-sized) is False where the frame lies past the photo's edge (a video
    that extended the photo there): no pixel of the photo can be compared with those.

    The background does not move with the head, so the transform is found on
    it: SIFT matches outside the head in both pictures (the landmarks'
    similarity fit when there are too few), refined with ECC on the background.
    """
    h, w = frame.shape[:2]
    rigid = list(regions.RIGID)
    faces, _ = cv2.estimateAffinePartial2D(
        source_landmarks[rigid, :2].astype(np.float32), frame_landmarks[rigid, :2].astype(np.float32), method=cv2.LMEDS
    )
    matrix = _background_fit(source, source_landmarks, frame, frame_landmarks)
    if matrix is None or (faces is not None and not _agrees(_scale(matrix), _scale(faces))):
        matrix = faces
    if matrix is None:
        matrix = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    scale = _scale(matrix)
    if scale < 0.9:
        # Shrink once with area averaging, so the warp below does not alias.
        small = cv2.resize(source, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        factor = small.shape[1] / source.shape[1]
        source = small
        source_landmarks = source_landmarks.copy()
        source_landmarks[:, :2] = source_landmarks[:, :2] * factor
        matrix = matrix.copy()
        matrix[:, :2] = matrix[:, :2] / factor
    to_source = cv2.invertAffineTransform(matrix)
    first = cv2.warpAffine(
        source, to_source, (w, h), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE
    )
    keep = 255 - head_mask((h, w), frame_landmarks)
    try:
        # ECC wants images of one size: fit the frame to the first warp, then compose the two.
        _, residual = cv2.findTransformECC(
            luma(frame),
            luma(first),
            np.eye(2, 3, dtype=np.float32),
            cv2.MOTION_AFFINE,
            (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, ECC_ITERATIONS, ECC_EPS),
            keep,
            5,
        )
        linear, shift = to_source[:, :2], to_source[:, 2]
        to_source = np.hstack([linear @ residual[:, :2], (linear @ residual[:, 2] + shift)[:, None]])
    except cv2.error:
        pass  # ECC did not converge (a flat background): the first fit stands
    warped = cv2.warpAffine(
        source, to_source, (w, h), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE
    )
    covered = (
        cv2.warpAffine(
            np.ones(source.shape[:2], np.uint8),
            to_source,
            (w, h),
            flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
        )
        > 0
    )
    to_frame = cv2.invertAffineTransform(to_source)
    points = source_landmarks.astype(np.float64).copy()
    points[:, :2] = points[:, :2] @ to_frame[:, :2].T + to_frame[:, 2]
    return warped, points.astype(np.float32), covered


class BackgroundMeter:
    """Pools the squared luma error away from the head over frames."""

    def __init__(
        self,
        reference: np.ndarray,
        reference_landmarks: np.ndarray,
        reference_kind: str,
        covered: np.ndarray | None = None,
    ):
        self.reference = luma(reference)
        self.reference_head = head_mask(reference.shape[:2], reference_landmarks)
        if covered is not None:  # past the reference's edge there is nothing to compare with
            self.reference_head[~covered] = 255
        self.kind = reference_kind
        self._sum_sq = 0.0
        self._pixels = 0
        self._frames = 0
        self._worst = 0.0
        self._share = 0.0

    def add(self, frame: np.ndarray, landmarks: np.ndarray) -> None:
        if frame.shape[:2] != self.reference.shape:
            return
        away = (self.reference_head == 0) & (head_mask(frame.shape[:2], landmarks) == 0)
        n = int(away.sum())
        if n < MIN_SHARE * away.size:
            return
        sq = float(((luma(frame)[away] - self.reference[away]) ** 2).sum())
        self._sum_sq += sq
        self._pixels += n
        self._frames += 1
        self._share += n / away.size
        mse = sq / n
        self._worst = max(self._worst, mse)

    def result(self) -> dict:
        if not self._frames:
            return {"psnr_db": None, "min_psnr_db": None, "reference": self.kind, "share": None}
        return {
            "psnr_db": _psnr(self._sum_sq / self._pixels),
            "min_psnr_db": _psnr(self._worst),
            "reference": self.kind,
            "share": round(self._share / self._frames, 3),
        }


def _psnr(mse: float) -> float:
    if mse <= 0:
        return PSNR_CAP_DB
    return round(float(min(PSNR_CAP_DB, 10 * np.log10(255.0**2 / mse))), 2)

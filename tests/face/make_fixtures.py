"""Make the landmark fixtures with the face analysis of an older checkout (MediaPipe 0.10.14).

Run from this repository's root, naming a checkout whose `talking_head.face`
still runs MediaPipe 0.10.14 (commit b2588d9 or earlier) in an environment
that has mediapipe installed:

    python tests/face/make_fixtures.py /path/to/old/checkout

Writes `tests/face/fixtures/<photo>.json`: the 478 landmarks (x, y, z) in
the photo's pixels, rounded to 0.01 px, as the old analysis found them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from reference_photos import FIXTURES, photos


def main(old_checkout: str) -> None:
    sys.path.insert(0, old_checkout)
    import mediapipe

    from talking_head.face import analyze_face

    assert Path(sys.modules["talking_head"].__file__).is_relative_to(Path(old_checkout).resolve())
    FIXTURES.mkdir(exist_ok=True)
    for name, photo in photos().items():
        face = analyze_face(photo)
        record = {
            "made_by": f"talking_head.face.analyze_face with mediapipe {mediapipe.__version__}",
            "image_size": list(face.size),
            "landmarks": [[round(float(v), 2) for v in point] for point in face.landmarks],
        }
        (FIXTURES / f"{name}.json").write_text(json.dumps(record, separators=(",", ":")) + "\n")
        print(name, face.size, f"iod {face.iod:.1f}")


if __name__ == "__main__":
    main(sys.argv[1])

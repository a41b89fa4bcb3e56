"""The package imports and analyses a face where mediapipe and jax cannot be imported at all."""

from without_packages import run_without

CHECK = """
import numpy as np

import talking_head
import talking_head.cli
import talking_head.evaluate.report
import talking_head.service.app
from talking_head.evaluate.tracking import FaceTracker
from talking_head.face import analyze_face
from talking_head.engines.builtin.mesh import face_triangles

face = analyze_face("talking_head/assets/default_face.png")
assert face.landmarks.shape == (478, 3) and face.iod > 30, face.iod
assert len(face.blendshapes) == 52
assert len(face_triangles()) > 800
tracked = FaceTracker().find(face.image)
assert tracked is not None and np.abs(tracked[:, :2] - face.landmarks[:, :2]).mean() < 0.05 * face.iod
loaded = {name.split(".")[0] for name in sys.modules}
assert not loaded & set(BLOCKED), loaded & set(BLOCKED)
print("ok")
"""


def test_package_works_without_mediapipe_or_jax():
    done = run_without({"mediapipe", "jax", "jaxlib"}, CHECK, timeout_s=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")

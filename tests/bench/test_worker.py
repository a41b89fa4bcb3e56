"""The benchmark worker loads every model before it times a case (so a first call's loading is not timed)."""

from bench.worker import _load_models
from talking_head.face.runtime import model


def test_models_load_before_timing():
    model.cache_clear()  # other tests may have loaded them already
    _load_models("still")
    assert model.cache_info().currsize == 4  # both detectors, the landmark model, the blendshapes

"""A Piper voice's ONNX graph, changed in memory so it times its sounds and takes its noise from us.

Two changes, neither written to disk:

* Piper's own `add_alignment_output` marks the duration tensor (the graph's
  one ``Ceil``) as an output: frames per phoneme id, so the voice says when it
  speaks each sound.
* Each random node (``RandomNormalLike`` and its kin) becomes a graph input
  of the same role. onnxruntime seeds random nodes once per session, so a
  warm voice would sound different on every call; noise fed from a seeded
  generator makes the same request give the same audio, bit for bit. The
  fed buffer is flat and cycled to whatever shape the node wanted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_RANDOM_OPS = ("RandomNormalLike", "RandomUniformLike", "RandomNormal", "RandomUniform")


@dataclass(frozen=True)
class NoiseInput:
    """A graph input standing in for one random node: how to draw what it is fed."""

    name: str
    normal: bool
    """Normal (`mean`, `scale`) when True, else uniform on [`low`, `high`)."""
    mean: float = 0.0
    scale: float = 1.0
    low: float = 0.0
    high: float = 1.0
    dtype: str = "float32"

    def draw(self, rng: np.random.Generator, count: int) -> np.ndarray:
        if self.normal:
            values = rng.standard_normal(count, dtype=np.float32) * np.float32(self.scale) + np.float32(self.mean)
        else:
            values = rng.uniform(self.low, self.high, count).astype(np.float32)
        return values.astype(self.dtype, copy=False)


def _attributes(node) -> dict:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _replacement(node, index: int) -> tuple[NoiseInput, list, list]:
    """Nodes that cut a fed flat buffer to the random node's shape, and the constants they use."""
    from onnx import TensorProto, helper

    attrs = _attributes(node)
    dtype = attrs.get("dtype", TensorProto.FLOAT)
    normal = node.op_type.startswith("RandomNormal")
    noise = NoiseInput(
        name=f"talking_head_noise_{index}",
        normal=normal,
        mean=float(attrs.get("mean", 0.0)),
        scale=float(attrs.get("scale", 1.0)),
        low=float(attrs.get("low", 0.0)),
        high=float(attrs.get("high", 1.0)),
        dtype=np.dtype(helper.tensor_dtype_to_np_dtype(dtype)).name,
    )
    p = f"talking_head_noise_{index}_"
    constants = [
        helper.make_tensor(p + "one", TensorProto.INT64, [1], [1]),
        helper.make_tensor(p + "zero", TensorProto.INT64, [1], [0]),
    ]
    if node.op_type.endswith("Like"):
        shape = [helper.make_node("Shape", [node.input[0]], [p + "shape"])]
    else:
        constants.append(helper.make_tensor(p + "shape", TensorProto.INT64, [len(attrs["shape"])], attrs["shape"]))
        shape = []
    nodes = shape + [
        helper.make_node("ReduceProd", [p + "shape"], [p + "count"], keepdims=1),
        helper.make_node("Shape", [noise.name], [p + "fed"]),
        helper.make_node("Add", [p + "count", p + "fed"], [p + "sum"]),
        helper.make_node("Sub", [p + "sum", p + "one"], [p + "sum1"]),
        helper.make_node("Div", [p + "sum1", p + "fed"], [p + "repeats"]),
        helper.make_node("Tile", [noise.name, p + "repeats"], [p + "tiled"]),
        helper.make_node("Slice", [p + "tiled", p + "zero", p + "count", p + "zero"], [p + "flat"]),
        helper.make_node("Reshape", [p + "flat", p + "shape"], [node.output[0]]),
    ]
    return noise, nodes, constants


def patch(model) -> tuple[bool, list[NoiseInput]]:
    """Change `model` (an `onnx.ModelProto`) in place; return (timed, noise inputs).

    `timed` is False when the graph has no duration tensor to expose (it then
    gives audio only, as before).
    """
    from onnx import helper
    from piper.patch_voice_with_alignment import add_alignment_output

    try:
        add_alignment_output(model)
        timed = True
    except ValueError as exc:  # no single Ceil, or already an output (a pre-patched voice)
        timed = "already" in str(exc)
    graph = model.graph
    noises: list[NoiseInput] = []
    kept = []
    for node in graph.node:
        if node.op_type not in _RANDOM_OPS:
            kept.append(node)
            continue
        noise, nodes, constants = _replacement(node, len(noises))
        noises.append(noise)
        kept.extend(nodes)
        graph.initializer.extend(constants)
        graph.input.append(
            helper.make_tensor_value_info(noise.name, helper.np_dtype_to_tensor_dtype(np.dtype(noise.dtype)), ["n"])
        )
    del graph.node[:]
    graph.node.extend(kept)
    return timed, noises

"""The triangles of MediaPipe's canonical face mesh, with the eye and mouth openings left open.

They come from the mesh in `models/geometry_pipeline_metadata_landmarks.binarypb`
(from the Face Landmarker bundle), a protocol-buffer message read here by its
wire format so that no protobuf runtime is needed: GeometryPipelineMetadata
field 1 is the Mesh3d, whose field 4 is the packed index buffer, three
landmark ids a triangle. The canonical mesh closes the eyes and the mouth;
triangles lying wholly on one of those openings' rims are dropped, so lids and
lips move apart instead of stretching a skin over the gap.
"""

from __future__ import annotations

import functools

import numpy as np

from . import regions
from .runtime import model_bytes

GEOMETRY_FILE = "geometry_pipeline_metadata_landmarks.binarypb"
CANONICAL_MESH_FIELD = 1  # GeometryPipelineMetadata.canonical_mesh
INDEX_BUFFER_FIELD = 4  # Mesh3d.index_buffer
VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 = 0, 1, 2, 5
OPENINGS = (
    frozenset(regions.LIPS_INNER_UPPER + regions.LIPS_INNER_LOWER),
    frozenset(regions.RIGHT_EYE),
    frozenset(regions.LEFT_EYE),
)


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def _fields(data: bytes):
    """(field number, wire type, value) of each field of one message; length-delimited values as bytes."""
    at = 0
    value: int | bytes
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            value, at = _varint(data, at)
        elif wire == LENGTH_DELIMITED:
            size, at = _varint(data, at)
            value, at = data[at : at + size], at + size
        elif wire in (FIXED64, FIXED32):
            size = 8 if wire == FIXED64 else 4
            value, at = data[at : at + size], at + size
        else:
            raise ValueError(f"{GEOMETRY_FILE}: unsupported protobuf wire type {wire}")
        yield number, wire, value


def _index_buffer(mesh: bytes) -> list[int]:
    ids: list[int] = []
    for number, wire, value in _fields(mesh):
        if number != INDEX_BUFFER_FIELD:
            continue
        if wire == VARINT:
            ids.append(value)
        else:  # packed
            at = 0
            while at < len(value):
                item, at = _varint(value, at)
                ids.append(item)
    return ids


@functools.lru_cache(maxsize=1)
def face_triangles() -> np.ndarray:
    """(T, 3) landmark ids of the face surface's triangles; eyes and mouth are holes in it."""
    metadata = model_bytes(GEOMETRY_FILE)
    mesh = next(value for number, _, value in _fields(metadata) if number == CANONICAL_MESH_FIELD)
    triangles = np.array(_index_buffer(mesh), np.int32).reshape(-1, 3)
    kept = {tuple(sorted(t)) for t in triangles.tolist() if not any(set(t) <= opening for opening in OPENINGS)}
    return np.array(sorted(kept), np.int32)

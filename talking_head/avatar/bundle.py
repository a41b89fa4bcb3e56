"""The `.avatar` file: one versioned, checksummed bundle, read without unpickling anything.

Layout: `MAGIC`, the format version (4 bytes, little-endian), the SHA-256 of the
version, the header's length and everything after the digest (32 bytes), the JSON header's length (8 bytes) and the
header, then the members one after another. The header names each member's
offset and length: NumPy arrays as `.npy`/`.npz` (read with
`allow_pickle=False`) and the footage as an MP4. Any changed byte fails the
checksum; a file of another format version is refused and says how to remake it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, OutputError
from ..video.encoder import partial_path

MAGIC = b"TALKING-HEAD AVATAR\n"
FORMAT_VERSION = 1
_PREFIX = struct.Struct("<I32sQ")  # version, digest, header length
REMAKE = "Make it again: talking-head avatar make CLIP -o NAME.avatar"


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    named: dict[str, Any] = dict(arrays)  # np.savez's stubs would read a positional allow_pickle
    np.savez(buffer, **named)
    return buffer.getvalue()


def npz_arrays(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def _covered(version: int, head_length: int) -> bytes:
    """The prefix fields the digest covers, ahead of the header and the members (in file order)."""
    return struct.pack("<IQ", version, head_length)


def write_bundle(path: str | Path, header: dict, members: dict[str, bytes]) -> Path:
    """Write the bundle under a temporary name and move it into place only when complete."""
    path = Path(path)
    table, offset = {}, 0
    for name, data in members.items():
        table[name] = [offset, len(data)]
        offset += len(data)
    head = json.dumps({**header, "members": table}, sort_keys=True).encode()
    digest = hashlib.sha256(_covered(FORMAT_VERSION, len(head)))
    digest.update(head)
    for data in members.values():
        digest.update(data)
    partial = partial_path(path)
    try:
        with open(partial, "wb") as f:
            f.write(MAGIC)
            f.write(_PREFIX.pack(FORMAT_VERSION, digest.digest(), len(head)))
            f.write(head)
            for data in members.values():
                f.write(data)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise OutputError.writing(path, exc) from exc
    return path


def read_bundle(path: str | Path) -> tuple[dict, dict[str, bytes]]:
    """The header and the members' bytes; `InputError` for a file that is not an intact avatar of this version."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"avatar not found: {path}. Check the path, or make one: talking-head avatar make CLIP -o {path.name}",
            field="avatar",
        )
    data = path.read_bytes()
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + _PREFIX.size:
        raise InputError(f"{path.name} is not an avatar made by talking-head avatar make. {REMAKE}", field="avatar")
    version, digest, head_length = _PREFIX.unpack_from(data, len(MAGIC))
    if version != FORMAT_VERSION:
        age = "an older" if version < FORMAT_VERSION else "a newer"
        raise InputError(
            f"{path.name} was made by {age} talking-head (avatar format {version}; this one reads format "
            f"{FORMAT_VERSION}). {REMAKE}",
            field="avatar",
        )
    body = memoryview(data)[len(MAGIC) + _PREFIX.size :]
    check = hashlib.sha256(_covered(version, head_length))
    check.update(body)
    if check.digest() != digest:
        raise InputError(
            f"{path.name} is damaged or was changed after it was made (its checksum does not match). {REMAKE}",
            field="avatar",
        )
    header = json.loads(bytes(body[:head_length]))
    payload = body[head_length:]
    members = {name: bytes(payload[offset : offset + length]) for name, (offset, length) in header["members"].items()}
    return header, members

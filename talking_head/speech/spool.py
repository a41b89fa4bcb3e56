"""Speech audio kept out of the process's memory: mono float32 samples in an unnamed temporary file.

A text's speech lives from synthesis until the encoder's last frame: 5.3 MB a minute at
22.05 kHz and 3.8 MB more for its 16 kHz copy, so a 20-minute text held 180 MB (and as much
again while its pieces were joined). Spooled, the samples sit in the page cache, which the
kernel writes out and drops when it needs the memory, and the process holds only the slice
it is reading. The file has no name (O_TMPFILE on Linux), so nothing is left behind, not even
by a killed process.

A spool is appended to while it is made, then read by slices: `spool[a:b]` is a float32
array, `len(spool)` its samples, `np.asarray(spool)` all of it (for short speech, or code
that needs it whole).
"""

from __future__ import annotations

import errno
import tempfile
import threading

import numpy as np
import numpy.typing as npt

from ..errors import OutputError

SAMPLE = np.dtype(np.float32)


class AudioSpool:
    """A mono float32 signal in an unnamed temporary file, appended to, read by contiguous slices."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()
        self._samples = 0
        self._lock = threading.Lock()  # one file position: a reader and a writer may be in different threads

    def append(self, samples: npt.ArrayLike) -> None:
        data = np.ascontiguousarray(samples, SAMPLE).reshape(-1)
        with self._lock:
            self._file.seek(self._samples * SAMPLE.itemsize)
            try:
                self._file.write(data.data.cast("B"))
            except OSError as exc:
                raise _spool_error(exc) from exc
            self._samples += len(data)

    def __len__(self) -> int:
        return self._samples

    def __getitem__(self, part: slice) -> np.ndarray:
        if not isinstance(part, slice) or part.step not in (None, 1):
            raise TypeError("an audio spool is read by contiguous slices, spool[a:b]")
        start, stop, _ = part.indices(self._samples)
        out = np.empty(max(0, stop - start), SAMPLE)
        with self._lock:
            self._file.seek(start * SAMPLE.itemsize)
            read = self._file.readinto(out.data.cast("B"))
        if read != out.nbytes:
            raise OSError(f"the audio spool gave {read} of {out.nbytes} bytes")
        return out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = self[:]
        return whole if dtype is None else whole.astype(dtype)


def _spool_error(exc: OSError) -> OutputError:
    """The temporary folder refused the speech audio: say where it is and what to do."""
    folder = tempfile.gettempdir()
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return OutputError(
            f"no space left in the temporary folder {folder} for the speech audio (about 9 MB a minute of speech). "
            "Free space there, or set TMPDIR to a folder with room.",
            reason="no_space",
        )
    return OutputError(f"the speech audio cannot be written to the temporary folder {folder}: {exc.strerror}.")


Signal = np.ndarray | AudioSpool
"""A mono float32 signal: in memory, or spooled (what speech from text is)."""

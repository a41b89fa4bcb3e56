"""Spooled speech: read back exactly, leaves no file, and stays out of memory through motion."""

import subprocess
import sys
import tempfile

import numpy as np

from talking_head.speech.audio import ANALYSIS_RATE, resample
from talking_head.speech.spool import AudioSpool


def _signal(seconds: float, rate: int = 22050) -> np.ndarray:
    return (np.random.default_rng(7).standard_normal(int(seconds * rate)) * 0.2).astype(np.float32)


def test_a_spool_reads_back_what_was_appended_by_any_slice():
    signal = _signal(3.3)
    spool = AudioSpool()
    for start in range(0, len(signal), 10_000):
        spool.append(signal[start : start + 10_000])
    assert len(spool) == len(signal)
    assert np.array_equal(np.asarray(spool), signal)
    for part in (slice(0, 1), slice(12_345, 54_321), slice(-100, None), slice(len(signal) - 5, len(signal) + 50)):
        assert np.array_equal(spool[part], signal[part])
    assert spool[len(signal) + 10 : len(signal) + 20].shape == (0,)


def test_a_spool_is_resampled_exactly_as_the_array():
    signal = _signal(4.1)
    spool = AudioSpool()
    spool.append(signal)
    assert np.array_equal(np.asarray(resample(spool, 22050, ANALYSIS_RATE)), resample(signal, 22050, ANALYSIS_RATE))


def test_a_spool_leaves_no_file_in_the_temporary_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    spool = AudioSpool()
    spool.append(_signal(2.0))
    assert len(spool) and list(tmp_path.iterdir()) == []


# Peak memory of a fresh process that spools `minutes` of speech, makes its 16 kHz copy and builds its
# motion, over what it had before the speech. Held in arrays, 10 minutes of it would take 92 MB.
_MOTION_PEAK = """
import sys
import numpy as np
from talking_head.motion import build_motion
from talking_head.options import TalkOptions
from talking_head.speech import Phone, Speech
from talking_head.speech.audio import ANALYSIS_RATE, resample
from talking_head.speech.spool import AudioSpool

def hwm():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")) // 1024

minutes, rate = float(sys.argv[1]), 22050
build_motion(Speech(np.zeros(rate, np.float32), rate, np.zeros(ANALYSIS_RATE, np.float32)), TalkOptions())
before = hwm()
voiced = (0.3 * np.sin(2 * np.pi * 180 * np.arange(rate) / rate)).astype(np.float32)
spool = AudioSpool()
for second in range(int(minutes * 60)):
    spool.append(voiced if second % 3 else np.zeros(rate, np.float32))
phones = [Phone("AA" if second % 3 else "SIL", second, second + 1) for second in range(int(minutes * 60))]
build_motion(Speech(spool, rate, resample(spool, rate, ANALYSIS_RATE), phones=phones), TalkOptions())
print(hwm() - before)
"""


def test_spooled_speech_stays_out_of_memory_through_motion():
    growth = {}
    for minutes in (1, 10):
        run = subprocess.run(
            [sys.executable, "-c", _MOTION_PEAK, str(minutes)], capture_output=True, text=True, timeout=120, check=True
        )
        growth[minutes] = int(run.stdout.split()[-1])
    assert growth[10] - growth[1] <= 30, f"peak grew by {growth} MB for 1 and 10 minutes"

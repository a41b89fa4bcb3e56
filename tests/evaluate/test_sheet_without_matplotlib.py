"""A default install has no matplotlib: a contact sheet is then refused with the install command."""

from __future__ import annotations

from without_packages import run_without

WRITE_SHEET = """
import sys
import numpy as np
from talking_head.errors import ConfigurationError
from talking_head.evaluate.sheet import write_sheet

frame = np.zeros((64, 64, 3), np.uint8)
try:
    write_sheet(sys.argv[1], [(0, 0.0, frame)], np.arange(4) / 25, np.zeros(4), np.zeros(4))
except ConfigurationError as exc:
    print(exc)
    sys.exit(2)
"""


def test_a_sheet_without_matplotlib_names_the_extra_to_install(tmp_path):
    done = run_without({"matplotlib"}, WRITE_SHEET, args=(str(tmp_path / "sheet.png"),), timeout_s=120)
    assert done.returncode == 2, done.stderr
    assert 'pip install "talking-head[eval]"' in done.stdout
    assert not (tmp_path / "sheet.png").exists()

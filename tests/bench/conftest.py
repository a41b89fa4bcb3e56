"""bench/ is a folder of scripts beside the package, not an installed package: import it from the repository root."""

import sys
from pathlib import Path

REPO = str(Path(__file__).resolve().parents[2])
if REPO not in sys.path:
    sys.path.insert(0, REPO)

"""What a pool process watches about itself: that its server is alive, and how big it has grown.

A pool process left behind by a server killed with SIGKILL would go on rendering
unsupervised, and the restarted server would run its job again: so it dies with
the server (Linux: the kernel's parent-death signal, at once; anywhere: a thread
that sees the parent change within `WATCH_EVERY_S`). A process whose memory has
grown past the limit after a job is replaced by a fresh one (`resident_mb`).
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_EVERY_S = 1.0
EXIT_ORPHANED = 3  # the exit status of a pool process whose server was gone


def die_with_parent(parent_pid: int) -> None:
    """End this process as soon as the process `parent_pid` is gone."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watch below still notices, a second later
    # Also where prctl exists: the parent may have died before it was called.
    threading.Thread(target=_watch, args=(parent_pid,), name="talking-head-parent-watch", daemon=True).start()


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(WATCH_EVERY_S)
    os._exit(EXIT_ORPHANED)  # no clean-up: the job is the restarted server's now


def resident_mb() -> float:
    """This process's resident memory now (Linux); elsewhere its peak, which is never less."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KB elsewhere

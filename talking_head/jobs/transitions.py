"""Every change of a job's state, as pure functions: the one place each transition is written.

A store checks a transition's guard and writes the fields it returns, in one
atomic step of its own (a SQLite transaction, a watched Redis transaction);
neither store decides by itself what a claim, a hand-back, a requeue or an
end changes. ``now`` is epoch seconds, given by the caller.

    queued --claim--> running --finish--> done | failed
       ^                 |
       +--hand_back------+   (lost worker; failed with worker_lost after its last attempt)
       +--requeue--------+   (a stop or a restart)
"""

from __future__ import annotations

from .records import FAILED, QUEUED, RUNNING, UNFINISHED, Job

WORKER_LOST = "worker_lost"


class LeaseHeld(Exception):
    """Another live worker holds the job: this delivery must not run it."""

    def __init__(self, ttl_s: float):
        super().__init__(f"job is held by another worker for {ttl_s:.0f} s more")
        self.ttl_s = ttl_s


def lease_lapsed(job: Job, now: float) -> bool:
    """The lease rule: a job whose lease ran out lost its worker (a job never leased has no lease)."""
    return (job.lease_until or 0) < now


def lost_worker_error(attempts: int) -> dict:
    """The error of a job whose workers were lost on every attempt (killed, out of memory, machine gone)."""
    return {
        "code": WORKER_LOST,
        "field": None,
        "message": (
            f"the worker making this video was lost {attempts} times (killed, out of memory, or its machine "
            "went away), so it is not tried again. Try shorter text or audio, or a smaller size."
        ),
    }


def held_by_other(job: Job, worker: str, lapsed: bool) -> bool:
    """Whether a claim by `worker` must wait: another worker runs the job and its lease has not lapsed."""
    return job.status == RUNNING and job.worker != worker and not lapsed


def claim(job: Job, worker: str, lease_s: float, max_attempts: int, now: float) -> dict | None:
    """`worker` starts a run of the job (one more attempt) and holds its lease for `lease_s`; None when
    the job is finished. The caller has checked `held_by_other` first.

    A job still marked running here lost its last run (a redelivery reached a worker before the lease
    watch did): that run counts, so after `max_attempts` of them the claim fails the job instead."""
    if job.status not in UNFINISHED:
        return None
    if job.status == RUNNING and job.attempts >= max_attempts:
        return hand_back(job, True, max_attempts, now)
    return {
        "status": RUNNING,
        "worker": worker,
        "attempts": job.attempts + 1,
        "started_at": now,
        "lease_until": now + lease_s,
        "progress": 0,
        "stage": None,
    }


def renew(job: Job, worker: str, lease_s: float, now: float) -> dict | None:
    """The heartbeat: `worker`'s lease lasts `lease_s` more; None when the job is no longer its to run."""
    if job.status != RUNNING or job.worker != worker:
        return None
    return {"lease_until": now + lease_s}


def update(job: Job, changes: dict) -> dict | None:
    """Progress and the like on an unfinished job; None once it is finished."""
    return dict(changes) if job.status in UNFINISHED else None


def hand_back(job: Job, lost: bool, max_attempts: int, now: float) -> dict | None:
    """Take a running job from its lost worker: back to the queue, or failed after `max_attempts` runs.
    None unless the job runs and its worker is `lost` (a lapsed lease, or seen to die)."""
    if job.status != RUNNING or not lost:
        return None
    released = {"worker": None, "lease_until": None}
    if job.attempts >= max_attempts:
        return {**released, "status": FAILED, "finished_at": now, "error": lost_worker_error(job.attempts)}
    return {**released, "status": QUEUED, "progress": 0, "stage": None}


def requeue(job: Job) -> dict | None:
    """Put an interrupted job back in the queue (at a stop, or after a restart); None once finished."""
    if job.status not in UNFINISHED:
        return None
    return {"status": QUEUED, "progress": 0, "stage": None, "worker": None, "lease_until": None}


def finish(job: Job, status: str, worker: str | None, now: float, changes: dict) -> dict | None:
    """Record the end of an unfinished job. With `worker`, only while that worker still runs it: a run
    whose lease lapsed and was handed on must not overwrite the next run's record."""
    if job.status not in UNFINISHED or (worker is not None and (job.status != RUNNING or job.worker != worker)):
        return None
    return {**changes, "status": status, "finished_at": now, "lease_until": None}


def applied(job: Job, changes: dict, now: float) -> Job:
    """The job with `changes` written (and `updated_at`); the store saves it."""
    for name, value in {**changes, "updated_at": now}.items():
        setattr(job, name, value)
    return job

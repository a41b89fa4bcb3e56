"""How the Redis store lays out jobs: key names, value encoding, and the scripts that change several keys
in one step.

Each job is a hash of JSON-encoded fields. A set per status holds the ids in
it (the queue bound, the lease watch, counts); sorted sets hold every job by
creation time (for listing, one per caller too) and the finished ones by end
time (for retention). A running job's lease is a key with a time to live that
its worker renews; when the key is gone, the worker is (Redis's clock is the
only one that judges a lease, whatever the machines' clocks say).
"""

from __future__ import annotations

import functools
import json

import redis

from ..errors import StoreUnavailable
from .records import DONE, FAILED, QUEUED, RUNNING

PREFIX = "talking-head:"
STATUSES = (QUEUED, RUNNING, DONE, FAILED)
FINISHED_ZSET = PREFIX + "finished"
CREATED_ZSET = PREFIX + "created"
TIES_READ = 64  # jobs created in the same instant that one page can step over

# Count and insert in one step: concurrent submits from any number of API processes never pass the bound.
# KEYS: job hash, its status's set, created zset, owner's zset, queued set, finished zset.
# ARGV: limit (-1: none), id, created_at, owned (0/1), finished_at ('' if none), then field, value, ...
ADD_SCRIPT = """
if tonumber(ARGV[1]) >= 0 and KEYS[2] == KEYS[5] and redis.call('SCARD', KEYS[5]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
if ARGV[4] == '1' then redis.call('ZADD', KEYS[4], ARGV[3], ARGV[2]) end
if ARGV[5] ~= '' then redis.call('ZADD', KEYS[6], ARGV[5], ARGV[2]) end
return 1
"""

# The heartbeat. KEYS: lease, job hash. ARGV: worker, lease ms, lease_until (JSON). A lease that lapsed but
# was not yet taken over is taken back (the watcher re-checks the lease key inside its own transaction).
RENEW_SCRIPT = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('HSET', KEYS[2], 'lease_until', ARGV[3])
  return 1
end
if holder then return 0 end
local status = redis.call('HGET', KEYS[2], 'status')
local worker = redis.call('HGET', KEYS[2], 'worker')
if status and worker and cjson.decode(status) == 'running' and cjson.decode(worker) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('HSET', KEYS[2], 'lease_until', ARGV[3])
  return 1
end
return 0
"""


def unavailable(method):
    """Turn a lost Redis connection into `StoreUnavailable` (the API's fast 503)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            raise StoreUnavailable(f"Redis at {self.where} is unreachable ({exc}). Try again shortly.") from None

    return wrapper


def text(value: bytes | str) -> str:
    """A member or value as read (bytes: the client does not decode)."""
    return value.decode() if isinstance(value, bytes) else value


def encode(changes: dict) -> dict:
    return {name: json.dumps(value) for name, value in changes.items()}


def job_key(job_id: str) -> str:
    return f"{PREFIX}job:{job_id}"


def owner_key(owner: str) -> str:
    return f"{PREFIX}owner:{owner}"


def lease_key(job_id: str) -> str:
    return f"{PREFIX}lease:{job_id}"


def status_key(status: str) -> str:
    return PREFIX + status  # talking-head:queued, talking-head:running, ...


def lease_ms(lease_s: float) -> int:
    return max(1, int(lease_s * 1000))

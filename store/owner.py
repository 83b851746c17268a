"""Who holds a row: a worker id names its host and process, so a dead local owner is noticed.

Leases (store/work_queue.py) and runs (store/runs.py) both record one; a process killed with
SIGKILL cannot clean up after itself, so the next process on the same machine does.
"""

from __future__ import annotations

import os
import socket
import uuid


def new_worker_id() -> str:
    """`host:pid:random`: unique per process, and enough to tell whether it still runs."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def is_gone(worker: str | None, me: str | None = None) -> bool:
    """True when `worker` ran on this machine and its process is gone (never for `me`).

    A worker on another host, or an id in another shape, is never judged: only its lease
    expiry can free what it holds.
    """
    if not worker or worker == me:
        return False
    parts = worker.split(":")
    local = len(parts) == 3 and parts[0] == socket.gethostname() and parts[1].isdigit()
    return local and not pid_alive(int(parts[1]))

"""The lock of a content (and of the ledger): a file created exclusively, safe on network drives."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from leadkit.batch.files import now, stat_or_none

LOCK_STALE_SECONDS = 600.0
HOST = socket.gethostname()


class FileLock:
    """A lock that works on network drives: a file created with O_CREAT|O_EXCL.

    It holds its owner (host, pid), the time and a random token. While held, a thread touches
    it every quarter of `stale_seconds`. It is stale when its owner is a process of this host
    that no longer runs, or when it has not been touched for `stale_seconds`. A stale lock is
    broken by one run at a time (under `<lock>.break`, itself created exclusively), and only
    if it is still the same lock (same token), so two runs never both take it over.
    """

    def __init__(
        self,
        path: Path,
        *,
        stale_seconds: float = LOCK_STALE_SECONDS,
        heartbeat: bool = True,
        on_break: Callable[[str], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.stale_seconds = stale_seconds
        self.heartbeat = heartbeat
        self.on_break = on_break
        self.token: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take the lock if it is free or stale; False when another live owner holds it."""
        for _ in range(3):
            token = secrets.token_hex(8)
            body = json.dumps({"host": HOST, "pid": os.getpid(), "time": now(), "token": token})
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                if not self.break_if_stale():
                    return False
                continue
            try:
                os.write(fd, body.encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            self.token = token
            if self.heartbeat:
                self._start_heartbeat()
            return True
        return False

    def held(self) -> bool:
        """Whether the lock file is still ours (not broken as stale and taken by another run)."""
        info = _read_lock(self.path)
        return self.token is not None and info is not None and info.get("token") == self.token

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.held():
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        self.token = None

    def break_if_stale(self) -> bool:
        """Remove the lock if it is stale; True when the caller may try again."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return True
        info = _read_lock(self.path)
        why = self._stale(info, st)
        if why is None:
            return False
        breaker = self.path.with_name(self.path.name + ".break")
        try:
            fd = os.open(breaker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            # Another run is breaking it, or died doing so (a moment's work: old means dead).
            bst = stat_or_none(breaker)
            if bst is not None and time.time() - bst.st_mtime > 30:
                with contextlib.suppress(FileNotFoundError):
                    breaker.unlink()
            return False
        os.close(fd)
        try:
            st_again = stat_or_none(self.path)
            if st_again is None:
                return True
            same = _read_lock(self.path) == info and (
                info is not None
                or (st_again.st_ino == st.st_ino and st_again.st_mtime_ns == st.st_mtime_ns)
            )
            if same:
                self.path.unlink()
                if self.on_break:
                    self.on_break(f"took over a stale lock ({why}): {self.path.name}")
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                breaker.unlink()

    def _stale(self, info: dict[str, Any] | None, st: os.stat_result) -> str | None:
        age = time.time() - st.st_mtime
        if info is None:
            # Created but never written: its creator died in between (or is just writing).
            return "empty lock file" if age > min(self.stale_seconds, 30.0) else None
        pid = info.get("pid")
        if (
            info.get("host") == HOST
            and isinstance(pid, int)
            and pid != os.getpid()
            and not _pid_alive(pid)
        ):
            return f"its owner, process {pid} on this host, is gone"
        # A live owner touches its lock every stale_seconds/4: untouched this long means dead
        # (on another host, or a reused pid here).
        if age > self.stale_seconds:
            return f"held by {info.get('host')} pid {info.get('pid')}, untouched for {age:.0f}s"
        return None

    def _start_heartbeat(self) -> None:
        self._stop.clear()
        interval = max(0.05, self.stale_seconds / 4)

        def beat() -> None:
            while not self._stop.wait(interval):
                with contextlib.suppress(OSError):
                    os.utime(self.path)

        self._thread = threading.Thread(target=beat, name="leadkit-lock-heartbeat", daemon=True)
        self._thread.start()


def _read_lock(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes() or b"null")
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped) is not a live owner
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True

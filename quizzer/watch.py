"""The deck watcher: a small background process that tells a command which card files
changed since the last one looked, so that a large deck is not stat()ed file by file.

Rule 1: it can only ever say "nothing changed" about what it watched without a gap. It
watches the folder with inotify (Linux, local filesystems) before it hands out its first
token; any doubt (a full event queue, the folder moved or gone, an unknown filesystem, a
token from another instance) makes it answer "unknown", and the command scans every file
as it would without a watcher (quizzer/index.py).
Rule 2: it is started only for folders of WATCH_MIN_FILES card files or more, talks only
over a socket in a folder only its user can enter, and exits after IDLE_SECONDS unasked.
QUIZZER_WATCH=off turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quizzer.indexdb import IndexRow

WATCH_MIN_FILES = 2000  # below this a scan costs a few milliseconds
IDLE_SECONDS = 4 * 3600
ENV = "QUIZZER_WATCH"
_TIMEOUT = 2.0  # seconds a command waits for an answer before it scans instead


@dataclass(frozen=True)
class Token:
    """A point in one watcher's event stream."""

    instance: str
    seq: int

    def text(self) -> str:
        return f"{self.instance}:{self.seq}"

    @classmethod
    def parse(cls, text: object) -> Token | None:
        if not isinstance(text, str) or text.count(":") != 1:
            return None
        instance, seq = text.split(":")
        return cls(instance, int(seq)) if seq.isdigit() and instance.isalnum() else None


@dataclass(frozen=True)
class Answer:
    """The watcher's reply: its current token, the names changed since the token asked
    about (None: unknown, so every file must be checked), and the card files among them
    as the watcher read them (quizzer/index.py file_report), when it could."""

    now: Token
    changed: list[str] | None
    rows: dict[str, IndexRow | str | None] | None = None


def available() -> bool:
    return sys.platform.startswith("linux") and os.environ.get(ENV, "").lower() != "off"


def _runtime_dir() -> Path | None:
    """A folder only this user can enter, for the sockets; None if there is none."""
    base = os.environ.get("XDG_RUNTIME_DIR", "")
    if not base:
        import tempfile

        base = tempfile.gettempdir()
    folder = Path(base) / f"quizzer-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        return None
    return folder


def socket_path(folder: str) -> Path | None:
    """The socket of the watcher of a deck folder (its resolved path)."""
    run = _runtime_dir()
    if run is None:
        return None
    digest = hashlib.blake2b(folder.encode("utf-8", "surrogateescape"), digest_size=12)
    return run / f"watch-{digest.hexdigest()}.sock"


def stop(folder: str) -> bool:
    """Ask the watcher of `folder` to exit; False if none answered."""
    return _exchange(folder, "stop") is not None


def ask(folder: str, since: Token | None) -> Answer | None:
    """What changed in `folder` since `since`; None when no watcher answers."""
    data = _exchange(folder, since.text() if since else "-")
    return _parse_answer(data) if data is not None else None


def _exchange(folder: str, question: str) -> bytes | None:
    path = socket_path(folder)
    if path is None:
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(_TIMEOUT)
            sock.connect(str(path))
            request = f"{folder}\0{question}\n"
            sock.sendall(request.encode("utf-8", "surrogateescape"))
            sock.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := sock.recv(1 << 16):
                chunks.append(chunk)
    except OSError:
        return None
    return b"".join(chunks)


def _parse_answer(data: bytes) -> Answer | None:
    head, _, rest = data.partition(b"\n")
    parts = head.decode("ascii", "replace").split(" ")
    if len(parts) != 2 or parts[0] not in ("ok", "unknown"):
        return None
    now = Token.parse(parts[1])
    if now is None:
        return None
    if parts[0] == "unknown":
        return Answer(now, None)
    try:
        body = json.loads(rest.decode("utf-8", "surrogateescape"))
        changed = [str(n) for n in body["changed"]]
        rows = None if body["rows"] is None else {
            str(name): _report(value) for name, value in body["rows"].items()}
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return Answer(now, changed, rows)


def _report(value: Any) -> IndexRow | str | None:
    from quizzer.indexdb import IndexRow

    if value is None or value == "link":
        return value  # type: ignore[no-any-return]
    if not isinstance(value, list) or len(value) != len(IndexRow._fields):
        raise ValueError("not a row")
    return IndexRow(*value)


def start(folder: str) -> Token | None:
    """Make sure a watcher runs for `folder` and return its current token, waiting a
    moment for a new one to come up; None if none can."""
    answer = ask(folder, None)
    if answer is not None:
        return answer.now
    import subprocess
    import time

    try:
        subprocess.Popen(
            [sys.executable, "-m", "quizzer.watch", folder], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            close_fds=True, cwd="/")  # holds no folder of the caller's open
    except OSError:
        return None
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        answer = ask(folder, None)
        if answer is not None:
            return answer.now
        time.sleep(0.01)  # polling a socket that is being bound, not timing a test
    return None


# -- the watcher process ---------------------------------------------------------------

# inotify(7)
_IN_MODIFY, _IN_ATTRIB, _IN_CLOSE_WRITE = 0x2, 0x4, 0x8
_IN_MOVED_FROM, _IN_MOVED_TO, _IN_CREATE, _IN_DELETE = 0x40, 0x80, 0x100, 0x200
_IN_DELETE_SELF, _IN_MOVE_SELF = 0x400, 0x800
_IN_UNMOUNT, _IN_Q_OVERFLOW, _IN_IGNORED = 0x2000, 0x4000, 0x8000
_IN_ONLYDIR, _IN_EXCL_UNLINK = 0x01000000, 0x04000000
_IN_NONBLOCK, _IN_CLOEXEC = 0o4000, 0o2000000
_WATCHED = (_IN_MODIFY | _IN_ATTRIB | _IN_CLOSE_WRITE | _IN_MOVED_FROM | _IN_MOVED_TO
            | _IN_CREATE | _IN_DELETE | _IN_DELETE_SELF | _IN_MOVE_SELF | _IN_ONLYDIR
            | _IN_EXCL_UNLINK)
_GONE = _IN_DELETE_SELF | _IN_MOVE_SELF | _IN_UNMOUNT | _IN_IGNORED
# statfs(2) magic numbers of local filesystems, whose changes inotify always sees (a
# network or FUSE filesystem can change under it without an event).
_LOCAL_FS = {0xEF53, 0x58465342, 0x9123683E, 0x01021994, 0x794C7630, 0xF2F52010,
             0x2FC12FC1, 0x858458F6}  # ext2-4, xfs, btrfs, tmpfs, overlay, f2fs, zfs, ramfs


class _Inotify:
    def __init__(self, folder: str) -> None:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        buf = ctypes.create_string_buffer(256)  # struct statfs: f_type is its first word
        if libc.statfs(folder.encode("utf-8", "surrogateescape"), buf) != 0:
            raise OSError(ctypes.get_errno(), "statfs")
        if ctypes.c_long.from_buffer(buf).value & 0xFFFFFFFF not in _LOCAL_FS:
            raise OSError(0, "not a local filesystem")
        self.fd = libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if libc.inotify_add_watch(self.fd, folder.encode("utf-8", "surrogateescape"),
                                  _WATCHED) < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch")

    def drain(self) -> tuple[list[str], bool]:
        """The names with events queued so far, and whether the stream broke (queue
        overflow, folder moved, deleted or unmounted)."""
        import struct

        names: list[str] = []
        broken = False
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                return names, broken
            at = 0
            while at + 16 <= len(data):
                _wd, mask, _cookie, size = struct.unpack_from("iIII", data, at)
                raw = data[at + 16:at + 16 + size].split(b"\0", 1)[0]
                at += 16 + size
                if mask & (_IN_Q_OVERFLOW | _GONE):
                    broken = True
                elif raw:
                    names.append(raw.decode("utf-8", "surrogateescape"))


def serve(folder: str) -> None:
    """Watch `folder` and answer on its socket until idle or the folder goes."""
    import fcntl
    import importlib
    import secrets
    import select
    import threading
    import time

    path = socket_path(folder)
    if path is None:
        return
    with open(path.with_suffix(".lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # another watcher of this folder is starting or running
        try:
            events = _Inotify(folder)
            watched = os.stat(folder)
        except OSError:
            return
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # a socket left by a watcher that was killed
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.bind(str(path))
            server.listen(16)
        except OSError:  # a socket path too long for AF_UNIX, say
            server.close()
            return
        instance, seq = secrets.token_hex(8), 0
        changed: dict[str, int] = {}  # name -> seq of its last event
        parsed: dict[str, tuple[int, Any]] = {}  # name -> (seq it was read at, report)
        # Load the card parser while idle, so that the first answer with a change in it
        # does not wait for it.
        threading.Thread(target=importlib.import_module, args=("quizzer.cards",),
                         daemon=True).start()
        asked = time.monotonic()
        try:
            while (left := asked + IDLE_SECONDS - time.monotonic()) > 0:
                ready, _, _ = select.select([server, events.fd], [], [], left)
                # Every write that finished before a question is in the queue by now.
                names, broken = events.drain()
                if broken:
                    return  # clients then find no watcher, and scan
                for name in names:
                    seq += 1
                    changed[name] = seq
                if server in ready:
                    if not _still_at(folder, watched):
                        return  # the folder was moved (a parent renamed): not ours any more
                    conn, _ = server.accept()
                    with conn:
                        conn.settimeout(_TIMEOUT)
                        if not _answer(conn, folder, instance, seq, changed, parsed):
                            return
                    asked = time.monotonic()
        finally:
            with contextlib.suppress(OSError):
                path.unlink()  # ours: the lock keeps any other watcher of the folder out
            server.close()


def _still_at(folder: str, watched: os.stat_result) -> bool:
    """Whether the path still names the folder being watched: renaming a parent moves
    the folder without an event, and another folder may then take its path."""
    try:
        st = os.stat(folder)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == (watched.st_dev, watched.st_ino)


def _answer(conn: socket.socket, folder: str, instance: str, seq: int,
            changed: dict[str, int], parsed: dict[str, tuple[int, Any]]) -> bool:
    """Answer one question; False when it asked the watcher to stop."""
    try:
        request = b""
        while chunk := conn.recv(1 << 12):
            request += chunk
    except OSError:
        return True
    asked, _, since_text = request.decode("utf-8", "surrogateescape").rstrip("\n").partition("\0")
    if asked == folder and since_text == "stop":
        _reply(conn, f"unknown {instance}:{seq}\n".encode())
        return False
    since = Token.parse(since_text)
    if asked != folder or since is None or since.instance != instance or since.seq > seq:
        _reply(conn, f"unknown {instance}:{seq}\n".encode())
        return True
    names = sorted(n for n, s in changed.items() if s > since.seq)
    body = {"changed": names, "rows": _reports(folder, names, changed, parsed)}
    _reply(conn, f"ok {instance}:{seq}\n".encode()
           + json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogateescape"))
    return True


def _reports(folder: str, names: list[str], changed: dict[str, int],
             parsed: dict[str, tuple[int, Any]]) -> dict[str, Any] | None:
    """The changed card files as a sync needs them, each read once per change (the
    command then need not load the YAML parser and card models); None when the command
    would scan anyway, or a file could not be read here."""
    from quizzer.index import DECK_FILE, WATCH_MAX_NAMES, file_report, is_card_name

    cards = [n for n in names if is_card_name(n)]
    if DECK_FILE in cards or len(cards) > WATCH_MAX_NAMES:
        return None
    out: dict[str, Any] = {}
    for name in cards:
        hit = parsed.get(name)
        if hit is None or hit[0] != changed[name]:
            try:
                report = file_report(Path(folder), name)
            except Exception:  # anything at all: the command reads the file itself
                return None
            hit = parsed[name] = (changed[name], list(report) if isinstance(report, tuple)
                                  else report)
        out[name] = hit[1]
    return out


def _reply(conn: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):
        conn.sendall(data)


if __name__ == "__main__":
    serve(sys.argv[1])

"""Writing an output file as simdml's C++ writer does (include/simdml/atomic_file.hpp): nothing that
should be written into is replaced, and no reader sees a partial file. Where the path leads decides:
  - nowhere yet, or a regular file: a temporary file of a unique name in the same folder, flushed
    and renamed over the destination (an existing file keeps its permissions);
  - a symbolic link: followed; the file it leads to is created or replaced that way;
  - the program's standard output or error (/dev/stdout): written to that stream;
  - a character device or a FIFO: written in place; a FIFO nobody reads is an error, not a wait;
  - a folder, a block device or a socket: refused.
`protected` names files an output must never be (a history database and its -wal, -shm and
-journal files): refused whatever the spelling of the path. A failed or interrupted write (SIGINT,
SIGTERM, SIGHUP) leaves no temporary file behind.
"""

import errno
import os
import signal
import stat
import sys
import tempfile
import threading
from pathlib import Path


class OutputError(Exception):
    """An output that cannot be written; the message names the path and says why."""


def _fail(path, why):
    raise OutputError(f"cannot write {path}: {why}")


def _follow_links(path):
    """A path that does not exist yet, through any dangling links: the name a new file takes."""
    at = Path(path)
    for _ in range(40):
        if not at.is_symlink():
            return at
        target = Path(os.readlink(at))
        at = target if target.is_absolute() else at.parent / target
    _fail(path, "too many levels of symbolic links")


def _standard_stream(st):
    for stream in (sys.stdout, sys.stderr):
        try:
            s = os.fstat(stream.fileno())
        except (OSError, ValueError, AttributeError):
            continue
        if (s.st_dev, s.st_ino) == (st.st_dev, st.st_ino):
            return stream
    return None


def _resolve(path):
    """('file', real path, mode or None) | ('stream', stream, None) | ('in_place', path, None)."""
    if str(path) == "":
        _fail(path, "the path is empty")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "file", _follow_links(path), None
    except OSError as e:
        _fail(path, f"cannot examine it ({e.strerror})")
    if stat.S_ISDIR(st.st_mode):
        _fail(path, "it is a directory")
    stream = _standard_stream(st)
    if stream is not None:
        return "stream", stream, None
    if stat.S_ISREG(st.st_mode):
        return "file", Path(os.path.realpath(path)), stat.S_IMODE(st.st_mode)
    if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        return "in_place", Path(path), None
    _fail(path, "it is a block device or a socket, not a file to write")


def same_file(a, b):
    """Whether two paths lead to the same file: one inode when both exist, else one resolved name."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(_follow_links(a)) == os.path.realpath(_follow_links(b))


def _checked_destination(path, protected):
    """_resolve's answer for a path that may be written, else the OutputError writing would give."""
    for p in protected:
        if same_file(path, p):
            _fail(path, f"it is {p}, which this command reads and must not overwrite")
    kind, target, mode = _resolve(path)
    if kind == "in_place" and not os.access(target, os.W_OK):
        _fail(path, "cannot open it for writing (permission denied)")
    if kind == "file":
        folder = target.parent
        if not folder.is_dir():
            _fail(path, f"no folder {folder}")
        if not os.access(folder, os.W_OK | os.X_OK):
            _fail(path, f"cannot create a file in {folder} (permission denied)")
    return kind, target, mode


def check_writable(path, protected=()):
    """Raises the OutputError write_output would give, before any work is done."""
    _checked_destination(path, protected)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class _Interrupted(BaseException):
    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class _InterruptCleanup:
    """SIGINT, SIGTERM and SIGHUP become an exception while a temporary file exists, so the writer
    removes it; the signal is then raised again and takes its usual effect. Ignored signals stay
    ignored; outside the main thread Python cannot take signals, and nothing changes."""
    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __enter__(self):
        self.saved = {}
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                previous = signal.getsignal(signum)
                if previous is not signal.SIG_IGN:
                    self.saved[signum] = signal.signal(signum, self._raise)
        return self

    @staticmethod
    def _raise(signum, frame):
        raise _Interrupted(signum)

    def __exit__(self, kind, error, trace):
        for signum, previous in self.saved.items():
            signal.signal(signum, previous)
        if isinstance(error, _Interrupted):
            previous = self.saved[error.signum]
            if callable(previous):  # Python's own SIGINT handler raises KeyboardInterrupt here
                previous(error.signum, None)
                raise OutputError(f"the write was interrupted by signal {error.signum}") from None
            os.kill(os.getpid(), error.signum)  # the default action: the program ends
        return False


def _replace(path, target, mode, data):
    folder = target.parent
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=folder)
    except OSError as e:
        _fail(path, f"cannot create a temporary file in {folder} ({e.strerror})")
    try:
        try:
            _write_all(fd, data)
            if mode is None:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except OSError as e:
        os.unlink(temp)
        _fail(path, e.strerror)
    except BaseException:
        os.unlink(temp)
        raise


def _write_in_place(path, data):
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as e:
        if e.errno == errno.ENXIO:
            _fail(path, "it is a FIFO that no process is reading")
        _fail(path, f"cannot open it for writing ({e.strerror})")
    try:
        os.set_blocking(fd, True)
        _write_all(fd, data)
    except OSError as e:
        _fail(path, f"write failed ({e.strerror})")
    finally:
        os.close(fd)


def write_output(path, text, protected=()):
    """Writes text (str, as UTF-8, or bytes) to path as the module's docstring says."""
    data = text.encode() if isinstance(text, str) else bytes(text)
    kind, target, mode = _checked_destination(path, protected)
    if kind == "stream":
        target.flush()
        _write_all(target.fileno(), data)
    elif kind == "in_place":
        _write_in_place(path, data)
    else:
        with _InterruptCleanup():
            _replace(path, target, mode, data)

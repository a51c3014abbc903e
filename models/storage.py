"""Writing a file to the storage so that it is there whole or not at all: written to a
temporary name in the same folder, flushed to the disk, then renamed. A full disk (or
any other error) leaves neither a cut file nor an empty one."""
import contextlib
import errno
import os

CHUNK = 64 * 1024
# errno values that mean "no room left" (the disk, or this account's quota).
FULL = {errno.ENOSPC, errno.EDQUOT}


def is_storage_full(error):
    return isinstance(error, OSError) and error.errno in FULL


def _write_chunk(fd, chunk):
    return os.write(fd, chunk)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        written = _write_chunk(fd, view[:CHUNK])
        view = view[written:]


def write_whole(path, data):
    """Write data to path (which must not exist yet), all of it or nothing."""
    folder, name = os.path.split(path)
    temporary = os.path.join(folder, f".{name}.part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
    _sync_folder(folder)


def _sync_folder(folder):
    """The rename itself survives a power cut once the folder is flushed too."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

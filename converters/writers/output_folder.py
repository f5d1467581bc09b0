"""Output folders are ours or empty: the one guard every writer of a folder goes through.

A command that writes a folder (``sdtm --out``, ``validate --report-dir``, and every later writer:
``adam``, ``define``, ``run``, ``package``) calls :func:`write_output_folder`::

    with write_output_folder(out, kind="sdtm", force=force, inputs=[mappings, raw]) as tmp:
        ...write every file into tmp...

and nothing else.  The guard

* **claims** the target before anything is written (:func:`check_output_folder`): the folder may be
  written only when it does not exist, is empty, or holds the marker file :data:`MARKER` that this tool
  wrote with its previous output *and* nothing besides the files that marker lists.  Anything else is
  refused with a :class:`~converters.errors.DataError` (exit 2) naming the foreign files, unless
  ``force=True`` (the ``--force`` option).  Even with ``force`` it refuses the *protected* locations: the
  current directory, the home directory, the file-system root, every input given (raw folder, study
  folder, the folder being validated) and any folder that contains an input;
* **writes atomically**: the files go into a temporary sibling ``.<name>.<pid>.<random>.tmp`` that
  holds a "writing" marker; on success the marker is completed (with the list of files) and the
  temporary folder replaces the target in one exchange (``renameat2(RENAME_EXCHANGE)`` where the
  system has it, else two renames with recovery), so a failed or killed run leaves the previous
  output whole;
* **cleans up** what interrupted runs left: temporary siblings whose process is gone (and that carry
  our marker, so a user's folder is never touched) are removed on the next run, and a previous output
  parked by an interrupted swap is put back.  ``converters.cli`` turns SIGTERM into a normal exit, so
  the ``finally`` here removes the temporary folder at once.

Writers that write single files into a folder they do not own (none yet) should use
``converters.writers.transport.atomic_file`` instead.
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from converters.errors import DataError, Location

#: The marker file: JSON ``{"tool": "cdisc-convert", "kind": ..., "state": ..., "files": [...]}``.
MARKER = ".cdisc-convert-output"
TOOL = "cdisc-convert"
_TMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp$")
_SHOWN = 8


def read_marker(folder: Path) -> dict | None:
    """The marker of ``folder`` when this tool wrote one, else None."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("tool") != TOOL:
        return None
    files = data.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        data["files"] = []
    return data


def write_marker(folder: Path, kind: str, state: str) -> None:
    """Write the marker into ``folder``: ``state`` "writing" while files go in, "complete" with their list."""
    files = sorted(p.name for p in folder.iterdir() if p.name != MARKER) if state == "complete" else []
    text = json.dumps({"tool": TOOL, "kind": kind, "state": state, "files": files}, indent=1) + "\n"
    (folder / MARKER).write_text(text, encoding="utf-8")


def protected_folders(inputs: Iterable[str | Path | None] = ()) -> list[tuple[Path, str]]:
    """The folders no output may replace, each with what it is: inputs, the current and home folders, /."""
    found: list[tuple[Path, str]] = []
    for path in inputs:
        if path is not None:
            found.append((Path(path).resolve(), "an input of this run"))
    found.append((Path.cwd().resolve(), "the current directory"))
    with contextlib.suppress(RuntimeError, KeyError):
        found.append((Path.home().resolve(), "the home directory"))
    found.append((Path(Path.cwd().anchor).resolve(), "the file-system root"))
    return found


def check_output_folder(target: str | Path, kind: str, *, force: bool = False,
                        inputs: Iterable[str | Path | None] = (), option: str = "--out") -> Path:
    """Check that ``target`` may be written by this run (see the module notes); return it resolved.

    Raises DataError (exit 2) and touches nothing when it may not.  Also tidies what interrupted runs
    left beside ``target``.
    """
    out = Path(target).resolve()
    where = Location(str(out))
    for path in (out, *out.parents):
        if path.exists() and not path.is_dir():
            raise DataError(f"the output folder {out} cannot be made: {path} is a file", Location(str(path)),
                            hint=f"give {option} a folder path")
        if path.exists():
            break
    for folder, what in protected_folders(inputs):
        if out == folder or out in folder.parents:
            holds = "is" if out == folder else f"holds {folder}, which is"
            example = f", e.g. {out / kind}" if out == folder and what == "the current directory" else ""
            raise DataError(f"{option} {out} {holds} {what}; the tool never writes its output there", where,
                            hint=f"give {option} a new or empty folder of its own, outside the inputs{example}")
    recover_output_folder(out)
    if not out.is_dir():
        return out
    entries = sorted(p.name for p in out.iterdir())
    if not entries or force:
        return out
    marker = read_marker(out)
    if marker is None:
        raise DataError(f"{option} {out} is not empty and was not written by this tool ({_listing(entries)})",
                        where, hint=f"give {option} a new or empty folder; the tool replaces the whole folder, "
                                    "so add --force only if everything in it may be deleted")
    foreign = [name for name in entries if name != MARKER and name not in set(marker["files"])]
    if foreign:
        raise DataError(f"{option} {out} holds files this tool did not write ({_listing(foreign)})",
                        where, hint="move them out of the folder (it is replaced as a whole), "
                                    "or add --force if they may be deleted")
    return out


@contextlib.contextmanager
def write_output_folder(target: str | Path, kind: str, *, force: bool = False,
                        inputs: Iterable[str | Path | None] = (), option: str = "--out") -> Iterator[Path]:
    """Check ``target`` (:func:`check_output_folder`), yield a temporary folder to write, then swap it in.

    On any failure or interruption the temporary folder is removed and ``target`` is left as it was.
    """
    out = check_output_folder(target, kind, force=force, inputs=inputs, option=option)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", suffix=".tmp", dir=out.parent))
        write_marker(tmp, kind, "writing")
    except OSError as exc:
        raise _os_error(exc) from None
    try:
        yield tmp
        write_marker(tmp, kind, "complete")
        os.chmod(tmp, 0o755)
        swap_folders(tmp, out)
    except OSError as exc:
        raise _os_error(exc) from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def spill_folder(target: str | Path) -> Iterator[Path]:
    """A private temporary folder beside ``target`` for a run's intermediate files (``converters.writers.spill``),
    removed when the block ends, also on failure.  Named and marked like the output's temporary folder, so a
    killed run's leftover is removed by the next run (:func:`recover_output_folder`)."""
    out = Path(target).absolute()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.spill", suffix=".tmp", dir=out.parent))
        write_marker(tmp, "spill", "writing")
    except OSError as exc:
        raise _os_error(exc) from None
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def recover_output_folder(out: Path) -> None:
    """Put back a previous output that an interrupted swap parked aside; remove dead runs' temporary folders."""
    parent = out.parent
    if not parent.is_dir():
        return
    old = parent / f".{out.name}.old"
    with contextlib.suppress(OSError):
        if old.is_dir() and read_marker(old) is not None:
            if out.exists():
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(old, out)
    with contextlib.suppress(OSError):
        for path in parent.iterdir():
            match = _TMP.match(path.name)
            if (match and match["name"] == out.name and path.is_dir() and not _alive(int(match["pid"]))
                    and read_marker(path) is not None):
                shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but belongs to someone else
        return True
    return True


def swap_folders(new: Path, target: Path) -> None:
    """Replace ``target`` by ``new`` in one step where the system allows; the old output ends at ``new``."""
    if target.exists() and _exchange(new, target):
        return  # target now holds the new output, new the old one (removed by the caller)
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old"
        if old.exists():
            shutil.rmtree(old)
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux ``renameat2(RENAME_EXCHANGE)``; False when not available."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return f"{shown}, ... {len(names) - _SHOWN} more" if len(names) > _SHOWN else shown


def _os_error(exc: OSError) -> DataError:
    path = exc.filename if exc.filename is not None else ""
    return DataError(f"cannot write {path}: {exc.strerror or type(exc).__name__}", Location(str(path)),
                     hint="check that the output folder's parent exists and is writable")

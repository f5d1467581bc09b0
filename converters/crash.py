"""What the command line does when something unexpected happens: exit 3, one line, a crash report file.

A user error is a ``CdiscConvertError`` (exit 2, with location and hint).  Anything else that escapes a
command is a bug in the tool: the user gets one line naming the exception and the crash report, and the
report (a text file in ``$CDISC_CONVERT_CRASH_DIR`` or the system temporary folder) holds the version,
the command line and the traceback to send with a bug report.  Exit 3 never collides with 1, which
``validate`` uses for "findings remain".

SIGTERM becomes ``SystemExit(143)`` so that ``finally`` blocks run and the output-folder guard removes
its temporary folder before the process ends.
"""
from __future__ import annotations

import contextlib
import os
import platform
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import FrameType

import click

#: Environment variable naming the folder for crash reports (default: the system temporary folder).
CRASH_DIR_ENV = "CDISC_CONVERT_CRASH_DIR"


def write_crash_report(exc: BaseException, argv: list[str] | None = None) -> Path | None:
    """Write the crash report of ``exc``; its path, or None when no folder could take it."""
    from converters import __version__

    folder = Path(os.environ.get(CRASH_DIR_ENV) or tempfile.gettempdir())
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    lines = [
        f"cdisc-convert {__version__} crash report",
        f"time: {datetime.now().isoformat(timespec='seconds')}",
        f"command: {' '.join(argv if argv is not None else sys.argv)}",
        f"working folder: {os.getcwd()}",
        f"python: {sys.version.split()[0]} on {platform.platform()}",
        "",
        *traceback.format_exception(type(exc), exc, exc.__traceback__),
    ]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"cdisc-convert-crash-{stamp}-{os.getpid()}.txt"
        path.write_text("".join(line if line.endswith("\n") else line + "\n" for line in lines), encoding="utf-8")
    except OSError:
        return None
    return path


def one_line(exc: BaseException, limit: int = 300) -> str:
    """``Type: message`` on one line, cut to ``limit`` characters."""
    text = " ".join(str(exc).split()) or "(no message)"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{type(exc).__name__}: {text}"


def handle_unexpected(exc: BaseException, ctx: click.Context | None = None) -> Path | None:
    """Tell the user about an unexpected failure in one line and write the crash report."""
    path = write_crash_report(exc)
    where = f"crash report: {path}" if path else "no crash report could be written"
    command = (ctx.invoked_subcommand or ctx.info_name) if ctx is not None else "cdisc-convert"
    click.secho(f"internal error in {command} (a bug, not your data): {one_line(exc)}; {where}; "
                "please report it with that file", fg="red", err=True)
    return path


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Within the block, SIGTERM raises ``SystemExit(143)`` (main thread only), so ``finally`` cleanup runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)

"""Paths named by a study's specs stay inside the study: no ``..`` out, no absolute paths, no symlinks out.

A mapping spec is data that may come from someone else, so nothing it names may
make the engine read outside the study.  The *study root* is the project that
holds the study: for the usual layout ``<project>/mappings/<study>/`` it is
``<project>`` (so ``raw.folder: ../../examples/<study>/raw`` is inside), for a
mappings folder elsewhere it is that folder itself.  ``--raw`` on the command
line is the user's own choice and is not limited; the files inside a raw folder
must still be real files of that folder (a symlink out of it is refused).
"""
from __future__ import annotations

import re
from pathlib import Path, PurePosixPath, PureWindowsPath

from converters.errors import Location, SpecError

#: a raw form name as the specs use it: a file stem, no folder part.
_FORM = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\- ]*$")


def study_root(mappings: str | Path) -> Path:
    """The folder a study's paths must stay in (resolved): ``<project>`` for ``<project>/mappings/<study>``."""
    folder = Path(mappings).resolve()
    return folder.parent.parent if folder.parent.name == "mappings" else folder


def is_inside(path: str | Path, root: str | Path) -> bool:
    """True when ``path`` (symlinks resolved) is ``root`` or below it."""
    resolved, base = Path(path).resolve(), Path(root).resolve()
    return resolved == base or base in resolved.parents


def check_study_path(text: str, base: Path, root: Path, what: str, where: Location) -> Path:
    """``text`` (a path written in a spec, relative to ``base``) resolved; SpecError when it leaves ``root``."""
    if PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute() or PureWindowsPath(text).drive:
        raise SpecError(f"{what} {text!r} is an absolute path; paths in the study's files are relative to the file",
                        where, hint=f"write it relative to {base}, inside {root}")
    path = (base / text).resolve()
    if not is_inside(path, root):
        raise SpecError(f"{what} {text!r} leads outside the study folder {root} (to {path})", where,
                        hint="keep the study's files inside its folder, or give the folder on the command line "
                             "(--raw)")
    return path


def check_form_name(name: str, what: str, where: Location) -> str:
    """``name`` when it is a plain raw form name (a file stem); SpecError for a path (``/``, ``\\``, ``..``)."""
    if not _FORM.match(name) or ".." in name:
        raise SpecError(f"{what} {name!r} is not a raw form name", where,
                        hint="name the form by its file stem (ae for ae.csv), without folders")
    return name


def check_folder_entries(folder: Path) -> None:
    """SpecError when an entry of a raw folder is a symlink leading out of the folder."""
    base = folder.resolve()
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.is_symlink() and not is_inside(entry, base):
            raise SpecError(f"raw file {entry.name} is a link to {entry.resolve()}, outside the raw folder",
                            Location(str(entry)), hint="copy the export into the raw folder instead of linking it")

"""Safe YAML loading that remembers the line of every mapping key and list item.

Mappings load as :class:`LineDict` and sequences as :class:`LineList`; both
carry the 1-based line where they start and, per key or item, the line it is
on, so every spec error can name its file and line.  Only YAML 1.2-style
booleans (``true``/``false``) are booleans: ``Y``, ``N``, ``yes``, ``no``,
``on``, ``off`` stay strings (they are CT values), and dates stay text.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from converters.errors import Location, SpecError


class LineDict(dict):
    """A dict loaded from YAML: ``line`` is where it starts, ``lines[key]`` where each key is."""

    line: int = 0
    file: str = ""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lines: dict = {}

    def line_of(self, key) -> int:
        return self.lines.get(key, self.line)


class LineList(list):
    """A list loaded from YAML: ``line`` is where it starts, ``lines[i]`` where item ``i`` is."""

    line: int = 0
    file: str = ""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.lines[index] if 0 <= index < len(self.lines) else self.line


class _LineLoader(yaml.SafeLoader):
    """SafeLoader with strict booleans, no implicit timestamps, and line-tracking containers."""

    #: The file name errors name; ``load_yaml_text`` sets it for each document.
    file_name: str = "<string>"


# Rebuild the implicit resolvers without YAML 1.1 yes/no/on/off booleans and without timestamps.
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LineLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                  list("tTfF"))


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.file = loader.file_name
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, (str, int, float, bool)) or isinstance(key, bool):
            raise SpecError(f"mapping key {key!r} must be a name", Location(loader.file_name, line))
        if key in result:
            raise SpecError(f"key {key!r} appears twice in one mapping (first on line {result.lines[key]})",
                            Location(loader.file_name, line), hint="remove or rename one of them")
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = line
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.file = loader.file_name
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


#: Most values (scalars, mappings, sequences) a document may expand to, aliases counted as copies.
MAX_EXPANDED_NODES = 1_000_000
#: Deepest nesting of mappings and sequences a document may have.
MAX_DEPTH = 100


def check_yaml_expansion(node: yaml.Node | None, file_name: str = "<string>") -> None:
    """Refuse a composed document that expands past MAX_EXPANDED_NODES values or MAX_DEPTH levels.

    Each distinct node is sized once (aliases share nodes), so the check is linear in the text.
    """
    if node is None:
        return
    sizes: dict[int, int] = {}
    seen_alias: set[int] = set()

    def size(current: yaml.Node, depth: int) -> int:
        key = id(current)
        if key in sizes:
            seen_alias.add(key)
            return sizes[key]
        if depth > MAX_DEPTH:
            raise SpecError(f"not accepted: values nested more than {MAX_DEPTH} levels deep",
                            Location(file_name, current.start_mark.line + 1), hint="flatten the structure")
        sizes[key] = 1  # a node that contains itself (a recursive alias) counts once more per visit
        if isinstance(current, yaml.MappingNode):
            total = 1 + sum(size(k, depth + 1) + size(v, depth + 1) for k, v in current.value)
        elif isinstance(current, yaml.SequenceNode):
            total = 1 + sum(size(child, depth + 1) for child in current.value)
        else:
            total = 1
        if total > MAX_EXPANDED_NODES:
            raise SpecError(f"not accepted: aliases (*name) expand this document past {MAX_EXPANDED_NODES:,} "
                            "values", Location(file_name, current.start_mark.line + 1),
                            hint="a spec has no need for repeated aliases; write the values out")
        sizes[key] = total
        return total

    size(node, 0)


def load_yaml_text(text: str, file_name: str = "<string>"):
    """Parse YAML text into LineDict/LineList/scalars; syntax errors become SpecError with the line."""
    try:
        loader = _LineLoader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (control characters, NUL)
        line = text.count("\n", 0, exc.position) + 1
        raise SpecError(f"not valid YAML: character #x{exc.character:04x} is not allowed",
                        Location(file_name, line), hint="remove the control character from that line") from None
    loader.file_name = file_name
    try:
        node = loader.get_single_node()
        check_yaml_expansion(node, file_name)
        return loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        mark_line = mark.line + 1 if mark else None
        raise SpecError(f"not valid YAML: {exc.problem or exc}", Location(file_name, mark_line),
                        hint="check indentation and quoting on that line") from None
    finally:
        loader.dispose()


def read_yaml_source(path: str | Path) -> str:
    """The text of a YAML file (UTF-8); SpecError naming the file (and the line) when it is missing or not UTF-8.

    Other OSErrors (permissions) propagate for the caller to name.
    """
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("file not found", Location(str(path))) from None
    except UnicodeDecodeError:
        data = path.read_bytes()
        start, reason = _first_bad_utf8(data)
        line = data.count(b"\n", 0, start) + 1
        utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
        raise SpecError(f"not UTF-8 text ({'UTF-16' if utf16 else reason})",
                        Location(str(path), line if line > 1 else None), hint="save the file as UTF-8") from None


def _first_bad_utf8(data: bytes) -> tuple[int, str]:
    """Offset and reason of the first byte that is not UTF-8 (0 and "" when all are)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start, exc.reason
    return 0, ""


def load_yaml_file(path: str | Path):
    """Read and parse one YAML file (UTF-8)."""
    return load_yaml_text(read_yaml_source(path), str(path))

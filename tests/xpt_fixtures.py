"""What the XPT tests share: pyreadstat's report of display formats, the same across its versions."""
from __future__ import annotations


def read_formats(meta) -> dict[str, str]:
    """Display formats as pyreadstat reports them, less a trailing period: 1.3.8 gives ``DATE9.`` where earlier
    versions gave ``DATE9`` (the same format; ``8.2`` keeps its period)."""
    return {name: fmt[:-1] if fmt and fmt.endswith(".") else fmt for name, fmt in meta.original_variable_types.items()}

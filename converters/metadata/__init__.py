"""The metadata model: everything said about the data, read by writers, Define-XML and the validator."""
from converters.metadata.model import (
    Codelist,
    CodelistTerm,
    Comment,
    Dataset,
    Document,
    Method,
    Origin,
    Standard,
    Study,
    ValueLevel,
    Variable,
    WhereCondition,
)

__all__ = [
    "Codelist", "CodelistTerm", "Comment", "Dataset", "Document", "Method", "Origin",
    "Standard", "Study", "ValueLevel", "Variable", "WhereCondition",
]

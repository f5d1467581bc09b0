"""The variables the SDTM model allows in any domain of a class: moved to :mod:`converters.standards.model_variables`
(the spec loader and the SDTM engine both read it); these names stay importable from here."""
from converters.standards.model_variables import GENERAL_CLASSES, allowed_variable, allowed_variables

__all__ = ["GENERAL_CLASSES", "allowed_variable", "allowed_variables"]

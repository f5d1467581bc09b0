"""Text transforms before mapping: moved to :mod:`converters.algorithms.transforms` (the spec loader checks them and
the SDTM engine applies them); these names stay importable from here."""
from converters.algorithms.transforms import NAMED, WITH_ARGUMENT, apply_transforms, check_transform

__all__ = ["NAMED", "WITH_ARGUMENT", "apply_transforms", "check_transform"]

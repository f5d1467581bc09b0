"""Import every shipped plot module so its :class:`~converters.plots.registry.Plot` is registered."""
from converters.plots import waterfall  # noqa: F401

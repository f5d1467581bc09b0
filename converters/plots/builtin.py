"""Import every shipped plot module so its :class:`~converters.plots.registry.Plot` is registered."""
from converters.plots import kinetics  # noqa: F401,E402  (cellular kinetics curves by dose level)
from converters.plots import swimmer  # noqa: F401,E402  (registers on import)
from converters.plots import waterfall  # noqa: F401,E402  (RECIST 1.1 best % change in the sum of diameters)

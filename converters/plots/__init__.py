"""Pictures drawn from ADaM datasets only: one module per plot, each one registered :class:`Plot`."""

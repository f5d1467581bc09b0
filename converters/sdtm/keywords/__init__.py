"""The core keywords of SDTM specs (``assign``, ``assign_ct``, ``hardcode``, ``datetime``, ``condition``,
``study_day``, ``seq``, ``epoch``, ``visit``, ``derive``): one module each, each one registered
:class:`~converters.algorithms.registry.Algorithm` with ``keyword=True``.

A keyword's registration holds everything about it: its options model (the spec shape and the JSON Schema), what
its own argument holds (``kinds``), ``read`` (the YAML entry to the engine's ``VariableSpec``, with the checks that
need the standards and the spec line), ``fill`` (the whole-column work), the origin it implies and the define's
method text (``method`` or ``describe``). The loader, the builder, the schema, the docs table and the define read
the registry only, so adding a keyword touches one module (plus its import line in ``converters.algorithms.builtin``).
"""

"""ADaM: analysis datasets derived from any SDTM folder by small verbs in admiral's vocabulary.

A study's ADaM spec (``mappings/<study>/adam/*.yaml``) names, per dataset, the SDTM records it starts from, the
verbs that extend them (each a registered :class:`~converters.algorithms.registry.Algorithm` of phase
``dataset``, one module per verb, named as admiral names it) and the variables it keeps. See ``docs/adam.md``.
"""

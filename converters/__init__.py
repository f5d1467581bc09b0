"""cdisc-convert: raw clinical-trial exports to SDTM, ADaM, Define-XML 2.1 and a conformance report."""

__version__ = "0.1.0"

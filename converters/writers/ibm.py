"""IEEE 754 doubles to the IBM System/360 doubles of SAS transport (XPORT v5) files, a whole array at a time.

An IBM double is a sign bit, a 7-bit exponent of 16 in excess 64 and a 56-bit fraction with the
radix point before it: value = fraction * 16 ** (exponent - 64).  The conversion is the one of SAS
technical note TS-140 (``ieee2xpt``), done on numpy arrays: the 53 significant bits of a double
(with its implicit leading 1) are shifted left by the binary exponent modulo 4, which always fits
the 56-bit fraction, so every double IBM can carry is stored exactly and reads back unchanged.

* ``0.0`` and ``-0.0`` are written as all zero bytes (as TS-140 and SAS do: IBM zero has no sign);
* magnitudes below ``16 ** -65`` (:data:`IBM_MIN`, about 5.4e-79), subnormals included, are written
  as zero, as TS-140 does: IBM has no smaller normalized number;
* magnitudes of ``16 ** 63`` (2 ** 252, about 7.2e75) and more cannot be carried;
  :func:`ibm_doubles` refuses them (TS-140 would store the largest IBM number instead, and so
  does pyreadstat, silently, from 2 ** 249 on);
* missing values (NaN) are the SAS missing value: its first byte ``.`` (0x2E) or the letter of a
  special missing value (``A``-``Z``, ``_``), then seven zero bytes.
"""
from __future__ import annotations

import numpy as np

#: Smallest magnitude an IBM double carries (16 ** -65); smaller non-zero numbers are written as 0.
IBM_MIN = 2.0 ** -260
#: Magnitudes from here on cannot be carried (16 ** 63).
IBM_LIMIT = 2.0 ** 252
MISSING = ord(".")

_SIGN = np.uint64(1 << 63)
_FRACTION = np.uint64((1 << 52) - 1)
_IMPLICIT = np.uint64(1 << 52)


def ibm_doubles(values: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """IBM doubles (big-endian ``>u8``) of ``values`` (float64); NaN becomes a SAS missing value.

    ``missing`` optionally gives, per value, the first byte of its missing value (``.``, ``A``-``Z``
    or ``_``), used where the value is NaN.  ValueError for infinite values or magnitudes of
    :data:`IBM_LIMIT` and more (the writers check these first and name the record).
    """
    numbers = np.ascontiguousarray(values, dtype=np.float64)
    nan = np.isnan(numbers)
    if bool((np.abs(numbers[~nan]) >= IBM_LIMIT).any()):
        raise ValueError("a value is infinite or too large for an IBM double (2**252 and more)")
    bits = numbers.view(np.uint64)
    exponent = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64) - 1023
    shift = (exponent & 3).astype(np.uint64)
    fraction = ((bits & _FRACTION) | _IMPLICIT) << shift
    hex_exponent = np.clip((exponent >> 2) + 65, 0, 127).astype(np.uint64)
    words = (bits & _SIGN) | (hex_exponent << np.uint64(56)) | fraction
    words[exponent < -260] = 0  # zeros of either sign, subnormals, and magnitudes IBM cannot reach
    if nan.any():
        first = np.full(len(numbers), MISSING, dtype=np.uint64) if missing is None else \
            np.asarray(missing, dtype=np.uint64)
        words[nan] = first[nan] << np.uint64(56)
    return words.astype(">u8")

"""Imports every module that registers built-in algorithms, so the registry is whole once it is first read.

Each SDTM algorithm and each ADaM derivation lives in a module of its own name and calls ``register`` on import;
add the new module's import here.
"""
from converters.sdtm import derivations  # noqa: F401  (the SDTM named derivations, used through ``derive``)
# the core keywords of SDTM specs (converters/sdtm/keywords: one module each)
from converters.sdtm.keywords import (  # noqa: F401  (register on import)
    assign,
    assign_ct,
    condition,
    derive,
    epoch,
    hardcode,
    iso_datetime,
    seq,
    study_day,
    visit,
)
# ADaM derivations (converters/adam: one module per verb, admiral's names)
from converters.adam import (  # noqa: F401,E402  (register on import)
    derive_param_bor,
    derive_param_computed,
    derive_param_exposure,
    derive_param_nca,
    derive_param_response,
    derive_param_tte,
    derive_var_atoxgr,
    derive_var_base,
    derive_var_chg,
    derive_var_extreme_dt,
    derive_var_extreme_flag,
    derive_var_flag,
    derive_var_map,
    derive_var_merged_exist_flag,
    derive_var_merged_summary,
    derive_var_nadir,
    derive_var_obs_number,
    derive_var_ontrtfl,
    derive_var_pchg,
    derive_var_relative_time,
    derive_var_trtemfl,
    derive_var_worst_flag,
    derive_vars_cat,
    derive_vars_constant,
    derive_vars_dt,
    derive_vars_dtm,
    derive_vars_duration,
    derive_vars_dy,
    derive_vars_merged,
    derive_vars_param,
)

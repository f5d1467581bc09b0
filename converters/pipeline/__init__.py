"""``cdisc-convert run``: the stages from raw exports to a submission package, as a small registry.

    from converters.pipeline import RunOptions, run_pipeline
    outcome = run_pipeline(RunOptions(mappings=Path("mappings/carnk-sclc"), raw=None, out=Path("out/carnk-sclc")))

Stages (:data:`converters.pipeline.stages.STAGES`, in order): ``sdtm``, ``adam``, ``define``, ``validate``,
``package``. A stage whose code this installation lacks is skipped and says so; the ADaM and define stages plug in
through the functions named in :mod:`converters.pipeline.extensions`.
"""
from converters.pipeline.run import RunOptions, RunOutcome, run_pipeline
from converters.pipeline.stages import STAGES, Stage, StageResult, available_stages

__all__ = ["RunOptions", "RunOutcome", "STAGES", "Stage", "StageResult", "available_stages", "run_pipeline"]

"""The submission package: eCTD module 5 layout, FDA technical rejection criteria, manifest, reviewer's guides.

    from converters.package import PackageSources, assemble_package
    assemble_package(PackageSources(study="carnk-sclc", sdtm=Path("work/sdtm")), Path("out/carnk-sclc"))

``assemble_package`` copies dataset folders that earlier stages wrote into the layout of
:mod:`converters.package.layout`, checks the rejection criteria (:mod:`converters.package.rejection`)
before anything is written, drafts the reviewer's guides (:mod:`converters.package.guides`) and the
manifest (:mod:`converters.package.manifest`), all in a temporary folder beside the target that replaces
the target in one rename (:mod:`converters.package.assemble`).
"""
from converters.package.assemble import PackageResult, PackageSources, assemble_package
from converters.package.layout import PackageLayout
from converters.package.rejection import RejectionCheck, RejectionCriteriaError, check_rejection_criteria

__all__ = [
    "PackageLayout", "PackageResult", "PackageSources", "RejectionCheck", "RejectionCriteriaError",
    "assemble_package", "check_rejection_criteria",
]

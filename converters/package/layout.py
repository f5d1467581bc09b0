"""Where each file of a submission package goes: eCTD module 5 for the data, everything else beside it.

```
OUT/
  m5/datasets/<study>/tabulations/sdtm/          SDTM datasets, define.xml, define.html, stylesheet
  m5/datasets/<study>/analysis/adam/datasets/    ADaM datasets, define.xml, define.html, stylesheet
  reports/<name>/                                validation reports (sdtm-validation, adam-validation)
  logs/<standard>/                               rejections.csv, build-summary.csv (coverage of the raw rows)
  metadata/<standard>-metadata.json              the metadata model each build wrote
  reviewers-guide/csdrg.md, adrg.md              reviewer's guide skeletons
  manifest.json                                  every file with SHA-256 and size, inputs, versions, command
```

Only what FDA reviews goes under ``m5``; reports and logs are for the sponsor and stay beside it (the
eCTD specification lists the folders of module 5, and a validation report is not one of its files).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Files of a define that travel with the datasets (the stylesheet is whatever *.xsl the define stage wrote).
DEFINE_FILES = ("define.xml", "define.html")
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class PackageLayout:
    """The folders of one study's package under ``root``."""

    root: Path
    study: str

    @property
    def study_dir(self) -> Path:
        return self.root / "m5" / "datasets" / self.study

    @property
    def tabulations(self) -> Path:
        """SDTM datasets and their define: ``m5/datasets/<study>/tabulations/sdtm``."""
        return self.study_dir / "tabulations" / "sdtm"

    @property
    def analysis(self) -> Path:
        """ADaM datasets and their define: ``m5/datasets/<study>/analysis/adam/datasets``."""
        return self.study_dir / "analysis" / "adam" / "datasets"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def metadata(self) -> Path:
        return self.root / "metadata"

    @property
    def guides(self) -> Path:
        return self.root / "reviewers-guide"

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST

    def relative(self, path: Path) -> str:
        """``path`` relative to the package root, with forward slashes (as the manifest records it)."""
        return path.relative_to(self.root).as_posix()

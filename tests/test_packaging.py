"""The installed package carries every module, the bundled standards, the schemas and the shipped studies."""
import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def declared_packages() -> set[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return {line.strip() for line in config["options"]["packages"].splitlines() if line.strip()}


def test_every_python_package_is_listed_in_setup_cfg():
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("converters", "define_xml")
        for init in (ROOT / top).rglob("__init__.py")
    }
    missing = found - declared_packages()
    assert not missing, f"add these packages to setup.cfg [options] packages: {sorted(missing)}"


def test_shipped_studies_are_mapped_into_the_package():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    mapping = config["options"]["package_dir"]
    assert "converters._shipped.mappings = mappings" in mapping
    assert "converters._shipped.examples = examples" in mapping

"""The Lambda code asset staged in Python (no Docker): the ottwatch package plus Linux wheels for the runtime."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ottwatch_infra import asset

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCE_PACKAGE = REPO_ROOT / "functions" / "ottwatch"
ABI = "cpython-" + asset.RUNTIME_PYTHON_VERSION.replace(".", "")


@pytest.fixture(scope="module")
def deployed_asset(synth) -> Path:
    """The directory CDK staged into the cloud assembly for the functions (what gets zipped and deployed)."""
    manifest = json.loads((synth.outdir / "OttwatchStack.assets.json").read_text())
    dirs = [
        synth.outdir / f["source"]["path"]
        for f in manifest["files"].values()
        if f["source"].get("packaging") == "zip"
    ]
    assert len(dirs) == 1, "one code asset shared by every function"
    return dirs[0]


def test_asset_holds_the_package_without_dev_only_parts(deployed_asset):
    pkg = deployed_asset / "ottwatch"
    assert (pkg / "__init__.py").is_file()
    assert (pkg / "config.py").is_file() and (pkg / "store" / "schema.py").is_file()
    if (SOURCE_PACKAGE / "handlers").is_dir():
        assert (pkg / "handlers").is_dir()
        for module in (SOURCE_PACKAGE / "handlers").glob("*.py"):
            assert (pkg / "handlers" / module.name).is_file(), module.name
    if (SOURCE_PACKAGE / "catalog.yaml").is_file():
        assert (pkg / "catalog.yaml").is_file(), "the bundled catalog ships with the code"
    assert not (pkg / "local").exists()
    assert not list(deployed_asset.rglob("__pycache__"))
    assert not list(deployed_asset.rglob("*.pyc"))


def test_asset_holds_linux_wheels_for_the_runtime(deployed_asset):
    so_files = [p.name for p in (deployed_asset / "pydantic_core").glob("*.so")]
    assert so_files and all(f"{ABI}-x86_64-linux-gnu" in name for name in so_files), so_files
    # No extension module built for another interpreter or platform.
    for so in deployed_asset.rglob("*.so"):
        tag = re.search(r"\.(cpython-\d+)-", so.name)
        assert tag is None or tag.group(1) == ABI, so
        assert "darwin" not in so.name and "win" not in so.name
    for top in ("aws_lambda_powertools", "pydantic", "requests", "yaml"):
        assert (deployed_asset / top).is_dir(), top
    assert not (deployed_asset / "boto3").exists() and not (deployed_asset / "botocore").exists()
    assert not (deployed_asset / "bin").exists()


def test_runtime_requirements_come_from_pyproject_minus_boto3():
    reqs = asset.runtime_requirements()
    names = {re.match(r"[A-Za-z0-9._-]+", r).group(0).lower() for r in reqs}
    assert {"aws-lambda-powertools", "pydantic", "requests", "pyyaml"} <= names
    assert "boto3" not in names and "botocore" not in names


def test_dependency_cache_key_tracks_requirements_and_python():
    reqs = ["pydantic>=2.7", "requests>=2.32"]
    key = asset.deps_key(reqs, "3.14")
    assert key == asset.deps_key(list(reqs), "3.14")
    assert key != asset.deps_key(reqs + ["pyyaml>=6"], "3.14")
    assert key != asset.deps_key(reqs, "3.13")


def test_second_stage_reuses_the_cache(synth):
    """Synth already staged it: staging again downloads nothing and returns the same directory."""
    first = asset.staged_asset()
    again = asset.stage()
    assert again == first and (again / asset.STAGED_MARKER).is_file()


def test_pre_staged_dependencies_dir(tmp_path, monkeypatch):
    deps = tmp_path / "deps"
    (deps / "fakedep").mkdir(parents=True)
    (deps / "fakedep" / "__init__.py").write_text("X = 1\n")
    monkeypatch.setenv(asset.ENV_DEPS_DIR, str(deps))
    monkeypatch.setattr(asset, "ASSETS_DIR", tmp_path / "assets")

    staged = asset.stage()
    assert staged.parent == tmp_path / "assets"
    assert (staged / "fakedep" / "__init__.py").read_text() == "X = 1\n"
    assert (staged / "ottwatch" / "__init__.py").is_file()
    assert not (staged / "ottwatch" / "local").exists()

    (deps / "fakedep" / "extra.py").write_text("")
    assert asset.stage() != staged, "a changed pre-staged dir is a new asset"


def test_missing_pre_staged_dir_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv(asset.ENV_DEPS_DIR, str(tmp_path / "nope"))
    with pytest.raises(asset.AssetError):
        asset.dependencies_dir()

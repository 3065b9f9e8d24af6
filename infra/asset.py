"""Stage the one Lambda code asset in plain Python: no Docker, no CDK bundling.

The asset is a directory holding

* the ``functions/ottwatch`` package, copied without ``__pycache__`` and without ``ottwatch/local``
  (the embedded stack is dev-only), and
* the runtime dependencies from pyproject.toml's ``[project].dependencies`` minus the AWS SDK (the
  Lambda runtime ships boto3), installed by ``pip install --target`` for the Lambda platform: only
  binary wheels, for CPython ``RUNTIME_PYTHON_VERSION`` on manylinux x86_64, whatever the host is.

Dependencies are cached under ``.build/lambda-deps/<key>/`` where the key hashes the requirement list and
the target platform, so a second synth does not download again; ``OTTWATCH_LAMBDA_DEPS_DIR`` may point at
a pre-staged directory instead (CI caches, offline machines). Each distinct (dependencies, source) pair
becomes ``.build/lambda/<hash>/``, and that hash is the CDK asset hash, so CDK does not fingerprint the tree.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = REPO_ROOT / "pyproject.toml"
PACKAGE_DIR = REPO_ROOT / "functions" / "ottwatch"
BUILD_DIR = REPO_ROOT / ".build"
DEPS_CACHE_DIR = BUILD_DIR / "lambda-deps"
ASSETS_DIR = BUILD_DIR / "lambda"

ENV_DEPS_DIR = "OTTWATCH_LAMBDA_DEPS_DIR"

# Must match the Lambda runtime and architecture declared in components/function.py.
RUNTIME_PYTHON_VERSION = "3.14"
# The Python 3.12+ runtimes run on Amazon Linux 2023 (glibc 2.34): manylinux2014 (glibc 2.17) wheels and
# manylinux_2_28 wheels both load there. x86_64 matches lambda_.Architecture.X86_64.
PIP_PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64")
PIP_IMPLEMENTATION = "cp"

# Already in every Python Lambda runtime; shipping our own would only bloat the asset.
PROVIDED_BY_RUNTIME = frozenset({"boto3", "botocore"})
# Dev-only subpackages of ottwatch (moto-backed embedded stack).
EXCLUDED_SUBPACKAGES = frozenset({"local"})
IGNORED_NAMES = ("__pycache__", "*.pyc", "*.pyo", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".DS_Store")

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
STAGED_MARKER = ".ottwatch-staged"


class AssetError(RuntimeError):
    """The code asset could not be staged."""


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_requirements(pyproject: Path = PYPROJECT) -> list[str]:
    """The requirement strings the functions need at run time: ``[project].dependencies`` minus boto3."""
    with pyproject.open("rb") as fh:
        deps = tomllib.load(fh)["project"].get("dependencies", [])
    keep = []
    for req in deps:
        match = _NAME.match(req)
        if not match:
            raise AssetError(f"cannot parse requirement {req!r} in {pyproject}")
        if _canonical(match.group(1)) not in PROVIDED_BY_RUNTIME:
            keep.append(req.strip())
    return sorted(keep, key=str.lower)


def _pip_target_args(python_version: str) -> list[str]:
    args: list[str] = []
    for platform in PIP_PLATFORMS:
        args += ["--platform", platform]
    return args + [
        "--implementation", PIP_IMPLEMENTATION,
        "--python-version", python_version,
        "--only-binary=:all:",
    ]


def deps_key(requirements: list[str], python_version: str) -> str:
    blob = json.dumps(
        {"requirements": requirements, "pip": _pip_target_args(python_version)}, sort_keys=True
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise staging between concurrent synths (pytest-xdist workers, two shells)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def install_dependencies(requirements: list[str], target: Path, python_version: str) -> None:
    cmd = [
        sys.executable, "-m", "pip", "install",
        "--target", str(target),
        *_pip_target_args(python_version),
        "--no-compile",  # the host's .pyc would be for the host's Python, not the runtime's
        "--disable-pip-version-check",
        "--no-input",
        "--quiet",
        *requirements,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssetError(
            f"pip could not stage the Lambda dependencies (exit {proc.returncode}):\n"
            f"$ {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}"
        )
    # Console scripts carry the host interpreter's shebang; nothing in Lambda runs them.
    shutil.rmtree(target / "bin", ignore_errors=True)


def dependencies_dir(python_version: str = RUNTIME_PYTHON_VERSION) -> Path:
    """A directory holding the runtime dependencies for the Lambda platform (downloaded once, then cached)."""
    override = os.environ.get(ENV_DEPS_DIR)
    if override:
        path = Path(override).expanduser().resolve()
        if not path.is_dir():
            raise AssetError(f"{ENV_DEPS_DIR}={override!r} is not a directory")
        return path

    requirements = runtime_requirements()
    key = deps_key(requirements, python_version)
    final = DEPS_CACHE_DIR / key
    with _locked(DEPS_CACHE_DIR / f"{key}.lock"):
        if (final / STAGED_MARKER).is_file():
            return final
        tmp = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=DEPS_CACHE_DIR))
        try:
            install_dependencies(requirements, tmp, python_version)
            (tmp / STAGED_MARKER).write_text(json.dumps({"requirements": requirements}, indent=1) + "\n")
            shutil.rmtree(final, ignore_errors=True)
            tmp.rename(final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return final


def _package_files(package_dir: Path) -> list[Path]:
    """The files of the package that go into the asset, relative to the package dir, sorted."""
    ignore = shutil.ignore_patterns(*IGNORED_NAMES)
    out: list[Path] = []
    for root, dirs, files in os.walk(package_dir):
        rel_root = Path(root).relative_to(package_dir)
        skipped = ignore(root, dirs + files)
        if rel_root == Path("."):
            skipped |= EXCLUDED_SUBPACKAGES
        dirs[:] = sorted(d for d in dirs if d not in skipped)
        out += [rel_root / f for f in sorted(files) if f not in skipped]
    return out


def _tree_digest(base: Path, files: list[Path], *, content: bool) -> str:
    h = hashlib.sha256()
    for rel in files:
        h.update(str(rel).encode() + b"\0")
        path = base / rel
        if content:
            h.update(path.read_bytes())
        else:  # a large pre-staged tree: its listing and sizes are enough to notice a change
            h.update(str(path.stat().st_size).encode())
        h.update(b"\0")
    return h.hexdigest()


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def stage(python_version: str = RUNTIME_PYTHON_VERSION, *, keep: int = 3) -> Path:
    """Build (or reuse) ``.build/lambda/<hash>/`` and return it."""
    if not (PACKAGE_DIR / "__init__.py").is_file():
        raise AssetError(f"{PACKAGE_DIR} is not a Python package")
    deps = dependencies_dir(python_version)
    files = _package_files(PACKAGE_DIR)

    h = hashlib.sha256()
    h.update(f"python{python_version}\0".encode())
    if os.environ.get(ENV_DEPS_DIR):
        dep_files = sorted(p.relative_to(deps) for p in deps.rglob("*") if p.is_file())
        h.update(str(deps).encode() + b"\0" + _tree_digest(deps, dep_files, content=False).encode())
    else:
        h.update(deps.name.encode())  # the cache key already names its content
    h.update(_tree_digest(PACKAGE_DIR, files, content=True).encode())
    asset_hash = h.hexdigest()[:32]

    final = ASSETS_DIR / asset_hash
    with _locked(ASSETS_DIR / ".lock"):
        if not (final / STAGED_MARKER).is_file():
            tmp = Path(tempfile.mkdtemp(prefix=f"{asset_hash}.", dir=ASSETS_DIR))
            try:
                shutil.copytree(
                    deps, tmp, dirs_exist_ok=True, copy_function=_link_or_copy,
                    ignore=shutil.ignore_patterns(STAGED_MARKER, *IGNORED_NAMES),
                )
                if (tmp / "ottwatch").exists():
                    raise AssetError(f"a dependency in {deps} ships a top-level 'ottwatch' package")
                for rel in files:
                    dst = tmp / "ottwatch" / rel
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(PACKAGE_DIR / rel, dst)
                (tmp / STAGED_MARKER).write_text(asset_hash + "\n")
                shutil.rmtree(final, ignore_errors=True)
                tmp.rename(final)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        _prune(final, keep)
    return final


def _prune(current: Path, keep: int) -> None:
    """Keep the ``keep`` most recently staged assets (the current one included)."""
    staged = [p for p in ASSETS_DIR.iterdir() if p.is_dir() and (p / STAGED_MARKER).is_file()]
    staged.sort(key=lambda p: (p == current, (p / STAGED_MARKER).stat().st_mtime), reverse=True)
    for old in staged[keep:]:
        shutil.rmtree(old, ignore_errors=True)


@lru_cache(maxsize=None)
def staged_asset(python_version: str = RUNTIME_PYTHON_VERSION) -> Path:
    """The staged directory, built once per process."""
    return stage(python_version)


def lambda_code(python_version: str = RUNTIME_PYTHON_VERSION):
    """``lambda_.Code`` for every ottwatch function (one asset, hashed by its inputs)."""
    from aws_cdk import AssetHashType
    from aws_cdk import aws_lambda as lambda_

    path = staged_asset(python_version)
    return lambda_.Code.from_asset(str(path), asset_hash_type=AssetHashType.CUSTOM, asset_hash=path.name)


if __name__ == "__main__":  # python infra/asset.py: stage and print the directory
    print(staged_asset())

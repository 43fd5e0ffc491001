#!/usr/bin/env python3
"""`make package`: the deployable arm64 zips, built the way `sam build` builds them, byte for byte.

Usage: package.py [--rev REV] [FUNCTION ...]     every function under functions/ by default
       package.py --check-reproducible FUNCTION  two clean builds of HEAD, same SHA-256 or exit 1
       package.py --rustflags TARGET_DIR         the RUSTFLAGS the deploy workflow gives `sam build`

Builds the working tree, or with --rev a clean export of a commit (`git archive`, into the
target directory), as CI builds a clean checkout. --check-reproducible exports HEAD twice, to
two directories, and builds each with a target directory of its own: nothing is shared but the
downloaded crates.

Each function is built with the command `sam build` runs for a rust-cargolambda function
(`cargo lambda build --release --arm64 --bin <name>` at the workspace root; cargo-lambda
cross-compiles with zig, from the virtualenv, no Docker), then zipped the way `sam package`
zips a build directory (`samcli.lib.package.utils.make_zip`): one entry `bootstrap`, mode
0755, the zip format's zero date (1980-01-01), deflated. cargo-lambda's own zip stamps the
binary's mtime, so two builds of the same code would differ; this one does not.

The binary itself is reproducible because the inputs are pinned (Cargo.lock, the toolchain,
zig) and the paths rustc would embed (panic locations of dependencies, build-script output)
are remapped to fixed prefixes (RUSTFLAGS below, which keep cargo-lambda's target-cpu): the
bytes do not depend on the checkout path, the user's home or the target directory.

CARGO_TARGET_DIR defaults to target-package/ (never the `make test` target/); zips land in
<target dir>/zip/<function>.zip. Sizes and SHA-256s are printed.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = "aarch64-unknown-linux-gnu"
# What `make_zip` of sam package writes: ZipInfo's default date, Unix attributes of a 0755 file.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ZIP_MODE = 0o100755


def functions(source: Path) -> list[str]:
    return sorted(p.parent.name for p in (source / "functions").glob("*/Cargo.toml"))


# cargo-lambda passes `--config build.rustflags=["-C", "target-cpu=neoverse-n1"]` (Graviton2, what
# Lambda's arm64 runs on); RUSTFLAGS replaces build.rustflags, so it says it again.
TARGET_CPU = "-C target-cpu=neoverse-n1"


def rustflags(source: Path, target_dir: Path) -> str:
    cargo_home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo")).resolve()
    # rustc applies the last matching prefix: the most specific (the target dir, often inside
    # the checkout) goes last.
    remaps = [(cargo_home, "/cargo"), (source.resolve(), "/src"), (target_dir.resolve(), "/target")]
    return " ".join([TARGET_CPU] + [f"--remap-path-prefix={src}={dst}" for src, dst in remaps])


def export(rev: str, dest: Path) -> Path:
    """A clean copy of the commit rev at dest (no untracked or uncommitted file)."""
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.strip()
    print(f"==> {commit} exported to {dest}", flush=True)
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest


def build(source: Path, function: str, target_dir: Path) -> Path:
    env = {**os.environ, "CARGO_TARGET_DIR": str(target_dir), "RUSTFLAGS": rustflags(source, target_dir),
           "CARGO_INCREMENTAL": "0"}
    cmd = ["cargo", "lambda", "build", "--release", "--arm64", "--locked", "--bin", function]
    print(f"==> {' '.join(cmd)}  (in {source}, CARGO_TARGET_DIR={target_dir})", flush=True)
    subprocess.run(cmd, cwd=source, env=env, check=True)
    return target_dir / "lambda" / function / "bootstrap"


def zip_bootstrap(bootstrap: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    info = zipfile.ZipInfo("bootstrap", date_time=ZIP_DATE)
    info.create_system = 3  # Unix, so external_attr carries the mode
    info.external_attr = ZIP_MODE << 16
    tmp = dest.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(info, bootstrap.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)
    tmp.replace(dest)
    return dest


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_tools() -> None:
    installed = subprocess.run(["rustup", "target", "list", "--installed"], capture_output=True, text=True, check=False)
    if installed.returncode == 0 and TARGET not in installed.stdout.split():
        sys.exit(f"package: the Rust target {TARGET} is missing: rustup target add {TARGET}")
    if shutil.which("cargo-lambda") is None:
        sys.exit("package: cargo-lambda is not on PATH (make package runs it from .venv)")
    if subprocess.run([sys.executable, "-m", "ziglang", "version"], capture_output=True, check=False).returncode != 0:
        sys.exit("package: zig is missing: .venv needs requirements-package.txt (make package installs it)")


def package(source: Path, names: list[str], target_dir: Path) -> None:
    rows = []
    for name in names:
        bootstrap = build(source, name, target_dir)
        zipped = zip_bootstrap(bootstrap, target_dir / "zip" / f"{name}.zip")
        rows.append((name, bootstrap.stat().st_size, zipped.stat().st_size, sha256(zipped), zipped))
    print(f"\n{'function':<15} {'bootstrap':>10} {'zipped':>10}  sha256 of the zip")
    for name, raw, zipped_size, digest, _ in rows:
        print(f"{name:<15} {mib(raw):>10} {mib(zipped_size):>10}  {digest}")
    print(f"zips in {target_dir / 'zip'}")


def check_reproducible(name: str, base: Path) -> None:
    digests = []
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    print(f"{name}: two clean builds of {rev}")
    for run in ("repro-1", "repro-2"):
        source = export(rev, base / run / "src")
        target_dir = base / run / "target"
        shutil.rmtree(target_dir, ignore_errors=True)  # a clean build: nothing reused
        bootstrap = build(source, name, target_dir)
        zipped = zip_bootstrap(bootstrap, base / run / "zip" / f"{name}.zip")
        digests.append((run, sha256(bootstrap), sha256(zipped), zipped.stat().st_size))
    for run, raw, zipped, size in digests:
        print(f"{name} {run}: bootstrap sha256 {raw}, zip sha256 {zipped} ({size} bytes)")
    if len({(raw, zipped) for _, raw, zipped, _ in digests}) != 1:
        sys.exit(f"package: {name} is NOT reproducible: two clean builds differ")
    print(f"{name}: two clean builds, from two checkouts into two target directories, are byte-identical")


def mib(size: int) -> str:
    return f"{size / 1048576:.2f} MiB"


def main() -> None:
    args = sys.argv[1:]
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target-package").resolve()
    if args[:1] == ["--rustflags"] and len(args) == 2:
        print(rustflags(ROOT, Path(args[1])))
        return
    check_tools()
    if args[:1] == ["--check-reproducible"] and len(args) == 2:
        check_reproducible(args[1], target_dir)
        return
    source = ROOT
    if args[:1] == ["--rev"] and len(args) >= 2:
        source = export(args[1], target_dir / "src")
        args = args[2:]
    unknown = [a for a in args if a not in functions(source)]
    if unknown:
        sys.exit(f"package: not a function crate: {' '.join(unknown)} (functions: {' '.join(functions(source))})")
    package(source, args or functions(source), target_dir)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Which Lambda functions a change affects: the deploy workflow's plan.

Usage: changed_functions.py [--base REV] [--merge-base] [--github-output FILE]

Compares REV with HEAD of the repository in the current directory (whose working tree must be
HEAD: the workspace is read with `cargo metadata --format-version 1 --no-deps`) and prints one
line of JSON, keys and lists sorted:

    {"all": false, "deploy": true, "functions": ["catalog"], "removed": []}

- a file under a crate's directory affects that crate, and every crate that depends on it
  through `path` dependencies (normal and build, transitively; dev-dependencies do not reach a
  binary) — `shared/` affects every function that uses it;
- a crate's manifest (`<crate>/Cargo.toml`, added, changed or deleted) affects every function:
  `sam build` runs `cargo lambda build --release --arm64 --bin <name>` at the workspace root,
  which resolves the dependencies' features for every member at once, so one crate's
  dependency features reach every binary;
- a file a crate embeds with `include_str!` / `include_bytes!` from outside its own directory
  (sessions serves `docs/openapi.yaml`) affects that crate like its own sources;
- the build's inputs (BUILD_INPUTS: the lockfile, the workspace manifest, the toolchain,
  `.cargo/`, `template.yaml`, the packaging pins and the deploy workflow) affect every function;
- anything else (README, docs, tests/, scripts/, events/) affects none;
- no base, an all-zero base (a new branch), or a base this clone does not have (a force push
  dropped it) affects every function: nothing is known about what is deployed;
- a function whose directory changed but that no longer exists at HEAD is listed in
  `removed`, not in `functions` (there is nothing to build);
- `deploy` is true when anything is to build or to remove.

`--merge-base` compares with the merge base of REV and HEAD (a pull request: what the branch
adds), otherwise with REV itself (a deploy: the tree deployed from REV against the one to
deploy, whatever the history between them). `--github-output FILE` also appends
`functions=`, `removed=`, `all=` and `deploy=` lines to FILE (GitHub's $GITHUB_OUTPUT).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path, PurePosixPath

# Function crates live in functions/<name>/, one binary of that name each (template.yaml builds it).
FUNCTIONS_DIR = "functions"

# A change to any of these rebuilds every function. Exact paths, or directories ending in "/".
BUILD_INPUTS = (
    "Cargo.lock",
    "Cargo.toml",  # the workspace manifest: shared dependency versions, [profile.release]
    "rust-toolchain",
    "rust-toolchain.toml",
    ".cargo/",
    "template.yaml",
    "requirements-nodeps.txt",  # cargo-lambda
    "requirements-package.txt",  # zig, the cross linker
    "requirements-sam.txt",  # sam build / sam package
    "scripts/package.py",  # `make package`
    ".github/workflows/deploy.yml",  # pins the Rust toolchain and drives sam build
)

ZERO_SHA = re.compile(r"^0+$")
# include_str!("../x") / include_bytes!("x"), and include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/x")).
INCLUDE_RELATIVE = re.compile(r'include_(?:str|bytes)!\s*\(\s*"([^"]+)"\s*\)')
INCLUDE_MANIFEST = re.compile(
    r'include_(?:str|bytes)!\s*\(\s*concat!\s*\(\s*env!\s*\(\s*"CARGO_MANIFEST_DIR"\s*\)\s*,\s*"([^"]+)"\s*\)\s*\)'
)


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=False)


def git_out(*args: str) -> str:
    proc = git(*args)
    if proc.returncode != 0:
        sys.exit(f"changed_functions: git {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout


def normalize(path: str) -> str | None:
    """A repository-relative POSIX path without '..' components, or None if it leaves the repo."""
    parts: list[str] = []
    for part in PurePosixPath(path).parts:
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


class Workspace:
    """The crates of the workspace at HEAD: their directories, path dependencies and embedded files."""

    def __init__(self, root: Path):
        proc = subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--no-deps", "--offline"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            sys.exit(f"changed_functions: cargo metadata failed:\n{proc.stderr}")
        meta = json.loads(proc.stdout)
        self.root = Path(meta["workspace_root"]).resolve()
        # A node is a crate directory, repository-relative ("" never: the root manifest is virtual
        # here, and a root package would be covered by BUILD_INPUTS' Cargo.toml anyway).
        self.dirs: set[str] = set()
        self.functions: dict[str, str] = {}  # function name -> crate directory
        self.dependents: dict[str, set[str]] = defaultdict(set)  # crate dir -> dirs depending on it
        self.embedded: dict[str, set[str]] = defaultdict(set)  # file outside a crate -> crate dirs
        for package in meta["packages"]:
            crate = self.rel(Path(package["manifest_path"]).parent)
            if not crate:
                continue
            self.dirs.add(crate)
            parts = crate.split("/")
            if len(parts) == 2 and parts[0] == FUNCTIONS_DIR and any("bin" in t["kind"] for t in package["targets"]):
                self.functions[parts[1]] = crate
            for dep in package["dependencies"]:
                if dep.get("path") and dep.get("kind") in (None, "build"):
                    dep_dir = self.rel(Path(dep["path"]))
                    if dep_dir:
                        self.dirs.add(dep_dir)  # a path dependency outside the workspace is a node too
                        self.dependents[dep_dir].add(crate)
            for source, target in self.includes(crate):
                if not (target + "/").startswith(crate + "/"):
                    self.embedded[target].add(crate)

    def rel(self, path: Path) -> str | None:
        try:
            rel = path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None
        return "" if rel == "." else rel

    def includes(self, crate: str):
        """(source file, embedded file) for every include_str!/include_bytes! of a literal path."""
        for dirpath, dirnames, filenames in os.walk(self.root / crate):
            dirnames[:] = [d for d in dirnames if d not in ("target", ".git")]
            for name in filenames:
                if not name.endswith(".rs"):
                    continue
                source = Path(dirpath) / name
                text = source.read_text(encoding="utf-8", errors="replace")
                src_dir = self.rel(source.parent) or ""
                for match in INCLUDE_RELATIVE.finditer(text):
                    target = normalize(f"{src_dir}/{match.group(1)}")
                    if target:
                        yield source, target
                for match in INCLUDE_MANIFEST.finditer(text):
                    target = normalize(f"{crate}/{match.group(1)}")
                    if target:
                        yield source, target

    def owner(self, path: str) -> str | None:
        """The innermost crate directory containing path."""
        best = None
        for crate in self.dirs:
            if path.startswith(crate + "/") and (best is None or len(crate) > len(best)):
                best = crate
        return best

    def affected(self, paths: list[str]) -> set[str]:
        """Crate directories the paths reach, through ownership, embedding and reverse path dependencies."""
        todo = []
        for path in paths:
            crate = self.owner(path)
            if crate:
                todo.append(crate)
            todo.extend(self.embedded.get(path, ()))
        seen: set[str] = set()
        while todo:
            crate = todo.pop()
            if crate not in seen:
                seen.add(crate)
                todo.extend(self.dependents.get(crate, ()))
        return seen


def is_manifest(path: str) -> bool:
    """A crate's Cargo.toml (at base or HEAD: anything named Cargo.toml outside vendored or test data)."""
    return PurePosixPath(path).name == "Cargo.toml"


def is_build_input(path: str) -> bool:
    return any(path.startswith(p) if p.endswith("/") else path == p for p in BUILD_INPUTS)


def plan(base: str | None, merge_base: bool) -> tuple[dict, list[str]]:
    """The plan, and why (lines for a human)."""
    top = Path(git_out("rev-parse", "--show-toplevel").strip()).resolve()
    os.chdir(top)
    ws = Workspace(top)
    if ws.root != top:
        sys.exit(f"changed_functions: the Cargo workspace ({ws.root}) is not the repository root ({top})")
    every = sorted(ws.functions)
    why: list[str] = []

    def result(functions, removed, all_):
        functions, removed = sorted(set(functions)), sorted(set(removed))
        return {"all": all_, "deploy": bool(functions or removed), "functions": functions, "removed": removed}, why

    if not base or ZERO_SHA.match(base):
        why.append("no base revision (first push of a branch, or none given): every function")
        return result(every, [], True)
    if git("rev-parse", "--verify", "--quiet", f"{base}^{{commit}}").returncode != 0:
        why.append(f"base {base} is not in this clone (force push, shallow clone): every function")
        return result(every, [], True)
    start = base
    if merge_base:
        proc = git("merge-base", base, "HEAD")
        if proc.returncode != 0:
            why.append(f"base {base} shares no history with HEAD: every function")
            return result(every, [], True)
        start = proc.stdout.strip()
    changed = sorted(p for p in git_out("diff", "--name-only", "--no-renames", "-z", start, "HEAD").split("\0") if p)
    why.append(f"{len(changed)} file(s) changed between {start[:12]} and HEAD")

    removed = set()
    for path in changed:
        parts = path.split("/")
        if len(parts) > 2 and parts[0] == FUNCTIONS_DIR and parts[1] not in ws.functions:
            removed.add(parts[1])
    if removed:
        why.append(f"no longer in the workspace: {', '.join(sorted(removed))}")

    inputs = [p for p in changed if is_build_input(p) or is_manifest(p)]
    if inputs:
        why.append(f"build inputs changed ({', '.join(inputs)}): every function")
        return result(every, removed, True)

    crates = ws.affected(changed)
    functions = [name for name, crate in ws.functions.items() if crate in crates]
    for path in changed:
        if ws.embedded.get(path):
            why.append(f"{path} is embedded by {', '.join(sorted(ws.embedded[path]))}")
    if crates:
        why.append(f"crates affected: {', '.join(sorted(crates))}")
    return result(functions, removed, False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="", help="revision to compare HEAD with (empty or all-zero: every function)")
    parser.add_argument("--merge-base", action="store_true", help="compare with the merge base of --base and HEAD")
    parser.add_argument("--github-output", help="also append name=value lines to this file ($GITHUB_OUTPUT)")
    args = parser.parse_args()

    result, why = plan(args.base.strip() or None, args.merge_base)
    for line in why:
        print(f"changed_functions: {line}", file=sys.stderr)
    print(json.dumps(result, sort_keys=True))
    if args.github_output:
        with open(args.github_output, "a", encoding="utf-8") as out:
            for key in sorted(result):
                value = result[key]
                out.write(f"{key}={json.dumps(value) if isinstance(value, list) else str(value).lower()}\n")


if __name__ == "__main__":
    main()

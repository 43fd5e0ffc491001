"""Unit tests of scripts/changed_functions.py against throwaway git repositories.

Each test clones a small Cargo workspace shaped like this one (functions/<name>/ crates, a
shared crate they use, a crate shared uses, an embedded file outside a crate, a tests crate
with dev-dependencies on the functions), commits a change and reads the plan.
Run: python3 -m unittest scripts/test_changed_functions.py
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "changed_functions.py"
ALL = ["a", "b", "c"]
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def crate(name: str, deps: dict[str, str] | None = None, kind: str = "lib", build_deps: dict[str, str] | None = None,
          dev_deps: dict[str, str] | None = None) -> dict[str, str]:
    """Files of a crate: Cargo.toml plus src/lib.rs or src/main.rs."""
    def section(title, entries):
        return f"\n[{title}]\n" + "".join(f'{k} = {{ path = "{v}" }}\n' for k, v in (entries or {}).items()) if entries else ""

    manifest = f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\npublish = false\n'
    manifest += section("dependencies", deps) + section("build-dependencies", build_deps) + section("dev-dependencies", dev_deps)
    files = {"Cargo.toml": manifest, f"src/{'main' if kind == 'bin' else 'lib'}.rs": f"// {name}\n"}
    if build_deps:
        files["build.rs"] = "fn main() {}\n"
    return files


WORKSPACE = {
    "Cargo.toml": '[workspace]\nresolver = "2"\nmembers = ["core", "shared", "gen", "functions/*", "tests"]\n',
    ".cargo/config.toml": "[env]\n",
    "template.yaml": "Resources: {}\n",
    "README.md": "# demo\n",
    "docs/guide.md": "guide\n",
    "docs/api.yaml": "openapi: 3.1.0\n",
    **{f"core/{k}": v for k, v in crate("core").items()},
    **{f"shared/{k}": v for k, v in crate("shared", {"core": "../core"}).items()},
    **{f"gen/{k}": v for k, v in crate("gen").items()},
    **{f"functions/a/{k}": v for k, v in crate("a", {"shared": "../../shared"}, "bin").items()},
    **{f"functions/b/{k}": v for k, v in crate("b", {"shared": "../../shared"}, "bin").items()},
    # c uses neither shared nor core; it embeds docs/api.yaml and has a build-dependency
    **{f"functions/c/{k}": v for k, v in crate("c", None, "bin", build_deps={"gen": "../../gen"}).items()},
    "functions/c/src/main.rs": 'const API: &str = include_str!("../../../docs/api.yaml");\nfn main() { let _ = API; }\n',
    **{f"tests/{k}": v for k, v in crate("tests", {"shared": "../shared"}, dev_deps={
        "a": "../functions/a", "b": "../functions/b", "c": "../functions/c"}).items()},
}


class ChangedFunctions(unittest.TestCase):
    origin: Path

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="changed-functions-"))
        cls.origin = cls.tmp / "origin"
        cls.origin.mkdir()
        write(cls.origin, WORKSPACE)
        run(cls.origin, "git", "init", "-q", "-b", "main")
        run(cls.origin, "cargo", "generate-lockfile", "--offline", "--quiet")
        commit(cls.origin, "base")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.repo = Path(tempfile.mkdtemp(dir=self.tmp))
        run(self.tmp, "git", "clone", "-q", str(self.origin), str(self.repo))
        self.base = head(self.repo)

    def plan(self, base: str | None = None, *extra: str) -> dict:
        args = ["--base", self.base if base is None else base, *extra]
        out = run(self.repo, sys.executable, str(SCRIPT), *args)
        return json.loads(out)

    def change(self, files: dict[str, str | None]) -> None:
        write(self.repo, files)
        commit(self.repo, "change")

    def assert_plan(self, plan: dict, functions: list[str], removed: list[str] | None = None, all_: bool = False):
        self.assertEqual(plan, {"all": all_, "deploy": bool(functions or removed), "functions": functions,
                                "removed": removed or []})

    # a function's own files -> that function
    def test_a_change_inside_a_function_affects_that_function_only(self):
        self.change({"functions/a/src/main.rs": "fn main() { println!(); }\n"})
        self.assert_plan(self.plan(), ["a"])

    def test_any_crates_manifest_affects_every_function_features_unify_across_the_workspace(self):
        for path in ("functions/b/Cargo.toml", "tests/Cargo.toml"):
            with self.subTest(path=path):
                self.base = head(self.repo)
                self.change({path: (self.repo / path).read_text() + "\n# comment\n"})
                self.assert_plan(self.plan(), ALL, all_=True)

    # shared crates -> their dependents, transitively, from cargo metadata
    def test_shared_affects_every_function_that_depends_on_it(self):
        self.change({"shared/src/lib.rs": "pub fn x() {}\n"})
        self.assert_plan(self.plan(), ["a", "b"])

    def test_a_crate_shared_depends_on_affects_shareds_dependents_transitively(self):
        self.change({"core/src/lib.rs": "pub fn y() {}\n"})
        self.assert_plan(self.plan(), ["a", "b"])

    def test_a_build_dependency_affects_the_function_that_builds_with_it(self):
        self.change({"gen/src/lib.rs": "pub fn z() {}\n"})
        self.assert_plan(self.plan(), ["c"])

    def test_a_file_embedded_with_include_str_affects_the_function_that_embeds_it(self):
        self.change({"docs/api.yaml": "openapi: 3.1.1\n"})
        self.assert_plan(self.plan(), ["c"])

    # what no binary contains -> none
    def test_docs_only_affect_no_function(self):
        self.change({"README.md": "# demo, better\n", "docs/guide.md": "more\n"})
        self.assert_plan(self.plan(), [])

    def test_a_crate_that_only_dev_depends_on_functions_affects_none(self):
        self.change({"tests/src/lib.rs": "// more tests\n"})
        self.assert_plan(self.plan(), [])

    # build inputs -> all
    def test_the_lockfile_affects_every_function(self):
        self.change({"Cargo.lock": (self.repo / "Cargo.lock").read_text() + "\n"})
        self.assert_plan(self.plan(), ALL, all_=True)

    def test_the_template_the_toolchain_and_cargo_config_affect_every_function(self):
        for files in ({"template.yaml": "Resources: {X: {}}\n"}, {"rust-toolchain.toml": '[toolchain]\nchannel = "1.95.0"\n'},
                      {".cargo/config.toml": "[env]\nX = \"1\"\n"}, {"Cargo.toml": WORKSPACE["Cargo.toml"] + "\n"}):
            with self.subTest(files=list(files)):
                self.base = head(self.repo)
                self.change(files)
                self.assert_plan(self.plan(), ALL, all_=True)

    # functions coming and going
    def test_an_added_function_is_built_with_every_function(self):
        # its manifest joins the workspace's feature resolution: every function, d included
        self.change({f"functions/d/{k}": v for k, v in crate("d", {"shared": "../../shared"}, "bin").items()})
        self.assert_plan(self.plan(), ALL + ["d"], all_=True)

    def test_an_added_function_on_a_branch_is_listed_among_every_function(self):
        # and HEAD's workspace is what counts: the base never had d
        self.change({f"functions/d/{k}": v for k, v in crate("d", None, "bin").items()})
        self.change({"functions/d/src/main.rs": "fn main() { 5; }\n"})
        self.assert_plan(self.plan(head_of(self.repo, "HEAD~1")), ["d"])

    def delete_b(self) -> dict[str, str | None]:
        tests = {f"tests/{k}": v for k, v in crate("tests", {"shared": "../shared"}, dev_deps={
            "a": "../functions/a", "c": "../functions/c"}).items()}
        return {"functions/b/Cargo.toml": None, "functions/b/src/main.rs": None, **tests}

    def test_a_deleted_function_is_removed_not_built(self):
        self.change(self.delete_b())
        self.assert_plan(self.plan(), ["a", "c"], removed=["b"], all_=True)

    def test_a_deleted_functions_leftover_file_still_names_it_removed(self):
        # a deletion in two commits: the manifest first, then the rest of the directory
        self.change({**self.delete_b(), "functions/b/src/main.rs": "fn main() {}\n"})
        base = head(self.repo)
        self.change({"functions/b/src/main.rs": None})
        self.assert_plan(self.plan(base), [], removed=["b"])

    # unknown bases -> all
    def test_an_all_zero_base_affects_every_function(self):
        self.change({"README.md": "x\n"})
        self.assert_plan(self.plan("0" * 40), ALL, all_=True)

    def test_no_base_affects_every_function(self):
        self.assert_plan(self.plan(""), ALL, all_=True)

    def test_a_base_missing_from_the_clone_affects_every_function(self):
        self.change({"README.md": "x\n"})
        self.assert_plan(self.plan("1234567890abcdef1234567890abcdef12345678"), ALL, all_=True)

    def test_a_force_push_compares_trees_so_a_dropped_change_is_redeployed(self):
        # before: a commit changing a; the force push replaces it with one changing b
        self.change({"functions/a/src/main.rs": "fn main() { 1; }\n"})
        before = head(self.repo)
        run(self.repo, "git", "reset", "-q", "--hard", self.base)
        self.change({"functions/b/src/main.rs": "fn main() { 2; }\n"})
        self.assert_plan(self.plan(before), ["a", "b"])

    # pull requests: what the branch adds, not what main gained since
    def test_merge_base_mode_ignores_changes_on_the_base_branch(self):
        run(self.repo, "git", "checkout", "-q", "-b", "topic")
        self.change({"functions/b/src/main.rs": "fn main() { 3; }\n"})
        run(self.repo, "git", "checkout", "-q", "main")
        self.change({"functions/a/src/main.rs": "fn main() { 4; }\n"})
        main = head(self.repo)
        run(self.repo, "git", "checkout", "-q", "topic")
        self.assert_plan(self.plan(main, "--merge-base"), ["b"])
        self.assert_plan(self.plan(main), ["a", "b"])

    # output
    def test_output_is_sorted_stable_and_written_for_github(self):
        self.change({"shared/src/lib.rs": "pub fn w() {}\n", "docs/api.yaml": "openapi: 3.1.2\n"})
        out = self.repo / "gh-output"
        first = run(self.repo, sys.executable, str(SCRIPT), "--base", self.base, "--github-output", str(out))
        second = run(self.repo, sys.executable, str(SCRIPT), "--base", self.base)
        self.assertEqual(first, second)
        self.assertEqual(first, '{"all": false, "deploy": true, "functions": ["a", "b", "c"], "removed": []}\n')
        self.assertEqual(out.read_text(), 'all=false\ndeploy=true\nfunctions=["a", "b", "c"]\nremoved=[]\n')


def write(root: Path, files: dict[str, str | None]) -> None:
    for rel, text in files.items():
        path = root / rel
        if text is None:
            path.unlink()
            while path.parent != root and not any(path.parent.iterdir()):
                path = path.parent
                path.rmdir()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))


def run(cwd: Path, *args: str) -> str:
    proc = subprocess.run(args, cwd=cwd, env=GIT_ENV, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc.stdout


def commit(repo: Path, message: str) -> None:
    run(repo, "git", "add", "-A")
    run(repo, "git", "-c", "commit.gpgsign=false", "commit", "-q", "-m", message)


def head(repo: Path) -> str:
    return head_of(repo, "HEAD")


def head_of(repo: Path, rev: str) -> str:
    return run(repo, "git", "rev-parse", rev).strip()


if __name__ == "__main__":
    unittest.main()

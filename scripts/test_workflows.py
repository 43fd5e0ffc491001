"""Policy over .github/workflows: what zizmor and the schema do not say about this project.

- `permissions: {}` at the top, explicit permissions on every job, `id-token: write` only in the
  deploy jobs (those with an environment), nothing else written;
- every `uses:` pinned to a full commit SHA with the version in a comment, or a local action;
- no `pull_request_target` / `workflow_run` (they run with secrets on untrusted input);
- no `${{ }}` inside `run:` (untrusted values reach scripts through `env:` only);
- checkout never persists the token;
- each deploy job in a concurrency group named after its environment that never cancels a
  deploy in progress; staging deploys main AllAtOnce, production deploys v* tags with the canary;
- no cache restored in a workflow that builds releases (one triggered by push);
- deploy only after plan, test and build, and only when the plan says so.

Each rule is also run against a workflow that breaks it, so a rule that checks nothing fails.
Run: python3 -m unittest scripts/test_workflows.py
"""
from __future__ import annotations

import copy
import re
import sys
import unittest
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from version_digest import load as load_template  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
USES_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)\s*(#.*)?$")
VERSION_COMMENT = re.compile(r"^#\s*v\d+(\.\d+)*\s*$")
DANGEROUS_TRIGGERS = {"pull_request_target", "workflow_run"}
CACHING = ("actions/cache", "Swatinem/rust-cache")


def triggers(workflow: dict) -> dict:
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as true
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return on or {}


def steps(job: dict):
    return job.get("steps") or []


def is_deploy_job(job: dict) -> bool:
    return "environment" in job


def environment_name(job: dict) -> str | None:
    env = job.get("environment")
    return env.get("name") if isinstance(env, dict) else env


def problems(workflow: dict, text: str) -> list[str]:
    """Everything wrong with one workflow (parsed, and its text for the comments)."""
    found = []
    on = triggers(workflow)
    for trigger in sorted(DANGEROUS_TRIGGERS & set(on)):
        found.append(f"trigger {trigger}")
    if workflow.get("permissions") != {}:
        found.append("top-level permissions is not {}")
    releases = "push" in on  # a workflow that builds from main or tags
    jobs = workflow.get("jobs") or {}
    for name, job in jobs.items():
        perms = job.get("permissions")
        if not isinstance(perms, dict):
            found.append(f"{name}: no explicit permissions")
            perms = {}
        for scope, level in perms.items():
            if scope == "id-token" and level == "write":
                if not is_deploy_job(job):
                    found.append(f"{name}: id-token: write outside a deploy job")
            elif level != "read":
                found.append(f"{name}: {scope}: {level}")
        if "timeout-minutes" not in job:
            found.append(f"{name}: no timeout-minutes")
        if "self-hosted" in str(job.get("runs-on")):
            found.append(f"{name}: self-hosted runner")
        for step in steps(job):
            uses = step.get("uses")
            if uses and not uses.startswith("./") and not USES_PINNED.match(uses):
                found.append(f"{name}: {uses} is not pinned to a full commit SHA")
            if uses and uses.startswith("actions/checkout@") and (step.get("with") or {}).get("persist-credentials") is not False:
                found.append(f"{name}: checkout persists credentials")
            if "${{" in str(step.get("run", "")):
                found.append(f"{name}: expression inside run: {step.get('name') or step['run'][:40]!r}")
            if releases and uses and (uses.startswith(CACHING) or "cache" in (step.get("with") or {})):
                found.append(f"{name}: cache in a release workflow ({uses})")
        if is_deploy_job(job):
            env = environment_name(job)
            group = (job.get("concurrency") or {})
            if not isinstance(group, dict) or env not in str(group.get("group")) or group.get("cancel-in-progress") is not False:
                found.append(f"{name}: deploy job without a concurrency group of its environment that never cancels")
            needs = job.get("needs") or []
            needs = [needs] if isinstance(needs, str) else needs
            if not {"plan", "build"} <= set(needs) or "needs.plan.outputs.deploy == 'true'" not in str(job.get("if")):
                found.append(f"{name}: deploys without plan and build, or whatever the plan says")
    for number, line in enumerate(text.splitlines(), 1):
        match = USES_LINE.match(line)
        if match and not match.group(1).startswith("./") and not (match.group(2) and VERSION_COMMENT.match(match.group(2))):
            found.append(f"line {number}: uses without a '# vX.Y.Z' comment")
    top = workflow.get("concurrency")
    if releases and (not isinstance(top, dict) or top.get("cancel-in-progress") is not False):
        found.append("release workflow: runs may cancel each other")
    return found


def load(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text), text


def template_deployment_types() -> list[str]:
    return load_template(str(ROOT / "template.yaml"))["Parameters"]["DeploymentType"]["AllowedValues"]


class Workflows(unittest.TestCase):
    def test_there_are_workflows(self):
        self.assertEqual([p.name for p in WORKFLOWS], ["ci.yml", "deploy.yml"])

    def test_every_workflow_follows_the_policy(self):
        for path in WORKFLOWS:
            with self.subTest(path.name):
                self.assertEqual(problems(*load(path)), [])


class Deploy(unittest.TestCase):
    workflow, text = load(ROOT / ".github" / "workflows" / "deploy.yml")
    jobs = workflow["jobs"]

    def test_triggers_are_main_and_version_tags(self):
        self.assertEqual(triggers(self.workflow)["push"], {"branches": ["main"], "tags": ["v*"]})

    def test_the_plan_comes_from_the_change_detection_script(self):
        run = " ".join(s.get("run", "") for s in steps(self.jobs["plan"]))
        self.assertIn("scripts/changed_functions.py", run)
        self.assertIn("--github-output", run)
        self.assertEqual(self.jobs["plan"]["outputs"]["deploy"], "${{ steps.plan.outputs.deploy }}")

    def test_staging_gets_main_all_at_once_and_production_tags_with_the_canary(self):
        staging, production = self.jobs["deploy-staging"], self.jobs["deploy-production"]
        self.assertEqual(environment_name(staging), "staging")
        self.assertIn("github.ref == 'refs/heads/main'", staging["if"])
        self.assertEqual(staging["env"]["DEPLOYMENT_TYPE"], "AllAtOnce")
        self.assertEqual(environment_name(production), "production")
        self.assertIn("startsWith(github.ref, 'refs/tags/v')", production["if"])
        self.assertEqual(production["env"]["DEPLOYMENT_TYPE"], "Canary10Percent5Minutes")
        allowed = template_deployment_types()
        self.assertIn(staging["env"]["DEPLOYMENT_TYPE"], allowed)
        self.assertIn(production["env"]["DEPLOYMENT_TYPE"], allowed)

    def test_only_the_deploy_jobs_may_mint_an_oidc_token(self):
        minting = sorted(n for n, j in self.jobs.items() if (j.get("permissions") or {}).get("id-token") == "write")
        self.assertEqual(minting, ["deploy-production", "deploy-staging"])

    def test_the_build_runs_after_the_tests_and_sam_builds(self):
        build = self.jobs["build"]
        self.assertEqual(build["needs"], ["plan", "test"])
        self.assertIn("sam build", " ".join(s.get("run", "") for s in steps(build)))
        for job in ("deploy-staging", "deploy-production"):
            self.assertIn("scripts/deploy_stack.sh", " ".join(s.get("run", "") for s in steps(self.jobs[job])))


class PolicyCatchesViolations(unittest.TestCase):
    """Each rule, against the real deploy workflow broken in one place."""

    base, text = load(ROOT / ".github" / "workflows" / "deploy.yml")

    def broken(self, change, text=None) -> list[str]:
        workflow = copy.deepcopy(self.base)
        change(workflow)
        return problems(workflow, text if text is not None else self.text)

    def assert_caught(self, change, needle: str, text=None):
        found = self.broken(change, text)
        self.assertTrue(any(needle in p for p in found), f"{needle!r} not among {found}")

    def test_pull_request_target(self):
        self.assert_caught(lambda w: triggers(w).__setitem__("pull_request_target", None), "trigger pull_request_target")

    def test_top_level_permissions(self):
        self.assert_caught(lambda w: w.__setitem__("permissions", {"contents": "write"}), "top-level permissions")

    def test_id_token_outside_deploy(self):
        self.assert_caught(lambda w: w["jobs"]["build"]["permissions"].__setitem__("id-token", "write"), "id-token: write outside")

    def test_write_scope(self):
        self.assert_caught(lambda w: w["jobs"]["plan"]["permissions"].__setitem__("contents", "write"), "contents: write")

    def test_unpinned_action(self):
        self.assert_caught(lambda w: w["jobs"]["build"]["steps"][0].__setitem__("uses", "actions/checkout@v4"), "not pinned")

    def test_missing_version_comment(self):
        text = self.text.replace("# v4.2.2", "", 1)
        self.assert_caught(lambda w: None, "without a '# vX.Y.Z' comment", text)

    def test_expression_in_run(self):
        self.assert_caught(lambda w: w["jobs"]["build"]["steps"][-2].__setitem__("run", "echo ${{ github.head_ref }}"), "expression inside run")

    def test_persisted_checkout_token(self):
        self.assert_caught(lambda w: w["jobs"]["plan"]["steps"][0]["with"].pop("persist-credentials"), "persists credentials")

    def test_cache_in_a_release_workflow(self):
        step = {"uses": "actions/cache@5a3ec84eff668545956fd18022155c47e93e2684", "with": {"path": "target", "key": "k"}}
        self.assert_caught(lambda w: w["jobs"]["build"]["steps"].insert(1, step), "cache in a release workflow")

    def test_cancellable_deploy(self):
        self.assert_caught(lambda w: w["jobs"]["deploy-production"]["concurrency"].__setitem__("cancel-in-progress", True), "concurrency group")
        self.assert_caught(lambda w: w.__setitem__("concurrency", {"group": "x", "cancel-in-progress": True}), "may cancel each other")

    def test_deploy_without_the_plan(self):
        self.assert_caught(lambda w: w["jobs"]["deploy-staging"].__setitem__("if", "github.ref == 'refs/heads/main'"), "whatever the plan says")


if __name__ == "__main__":
    unittest.main()

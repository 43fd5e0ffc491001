#!/usr/bin/env bash
# `make ci-check`: the CI configuration, proven offline (make test runs it after cfn-lint).
#   workflows: zizmor --offline, the GitHub workflow schema, the policy test;
#   change detection: its unit tests against throwaway git repositories;
#   template: sam validate --lint, sam validate (the SAM transform itself), the policy test and
#   which functions publish a version when what changes.
# Every network call is pointed at a closed port and AWS gets fake credentials: a check that
# needed the network or an account would fail here rather than quietly use one.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
SAM_VENV=.venv/sam
started=$SECONDS

unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN
export AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=
export AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0 CARGO_NET_OFFLINE=true

echo "==> zizmor --offline .github/workflows"
"$VENV/bin/zizmor" --offline --no-progress .github/workflows
echo "==> check-jsonschema --builtin-schema vendor.github-workflows"
"$VENV/bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml
echo "==> workflow policy (scripts/test_workflows.py)"
"$VENV/bin/python" -m unittest -q scripts/test_workflows.py
echo "==> change detection (scripts/test_changed_functions.py, throwaway git repositories)"
"$VENV/bin/python" -m unittest -q scripts/test_changed_functions.py
echo "==> the bench's cold-start targets (scripts/test_bench_targets.py)"
"$VENV/bin/python" -m unittest -q scripts/test_bench_targets.py
echo "==> sam validate --lint"
"$SAM_VENV/bin/sam" validate --lint --template-file template.yaml
echo "==> sam validate --region us-east-1 (the SAM transform)"
# samtranslator logs a feature-toggle notice per function: noise, not findings
"$SAM_VENV/bin/sam" validate --template-file template.yaml --region us-east-1 2> >(grep -v "Feature Toggle Config" >&2)
echo "==> template policy and versions (scripts/test_template.py)"
"$SAM_VENV/bin/python" -m unittest -q scripts/test_template.py
echo "ci-check took $((SECONDS - started)) s"

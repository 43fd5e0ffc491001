#!/usr/bin/env bash
# Deploys what `sam build` left in .aws-sam/build: sam package, pin each function's version to
# what it runs (scripts/version_digest.py), sam deploy. The deploy workflow's two deploy jobs run
# it; an operator can too (docs/deploy.md, "CI and deploy").
#
#   STACK_NAME=… DEPLOYMENT_TYPE=… ARTIFACT_BUCKET=… [PARAMETER_OVERRIDES="Key=Value …"] scripts/deploy_stack.sh
#   STACK_NAME=… scripts/deploy_stack.sh smoke     # the deployed API answers
#
# Needs AWS credentials and a region in the environment, and .venv/sam (`make sam-venv`).
set -euo pipefail
cd "$(dirname "$0")/.."
SAM_VENV=.venv/sam
: "${STACK_NAME:?STACK_NAME is required}"

if [ "${1:-}" = smoke ]; then
  api=$("$SAM_VENV/bin/python" -c '
import sys, boto3
outputs = boto3.client("cloudformation").describe_stacks(StackName=sys.argv[1])["Stacks"][0].get("Outputs", [])
print(next(o["OutputValue"] for o in outputs if o["OutputKey"] == "ApiUrl"))' "$STACK_NAME")
  echo "smoke: $api"
  # sessions serves the contract; an unknown path is a 404 in the envelope (sessions, catch-all)
  curl -fsS --retry 3 --max-time 15 -o /dev/null "$api/openapi.yaml"
  status=$(curl -sS --retry 3 --max-time 15 -o /dev/null -w '%{http_code}' "$api/no-such-route")
  [ "$status" = 404 ] || { echo "smoke: GET /no-such-route answered $status, expected 404" >&2; exit 1; }
  echo "smoke: ok"
  exit 0
fi

: "${DEPLOYMENT_TYPE:?DEPLOYMENT_TYPE is required (Canary10Percent5Minutes, AllAtOnce, ...)}"
: "${ARTIFACT_BUCKET:?ARTIFACT_BUCKET is required (the S3 bucket sam package uploads to)}"
build=.aws-sam/build
packaged=.aws-sam/packaged.yaml
for bootstrap in "$build"/*/bootstrap; do
  [ -x "$bootstrap" ] || { echo "deploy: $bootstrap is missing or not executable" >&2; exit 1; }
done
overrides="${PARAMETER_OVERRIDES:-} DeploymentType=$DEPLOYMENT_TYPE"

echo "==> sam package (S3 keys are the packages' checksums: an unchanged function keeps its CodeUri)"
"$SAM_VENV/bin/sam" package --template-file "$build/template.yaml" --s3-bucket "$ARTIFACT_BUCKET" \
  --s3-prefix "$STACK_NAME" --output-template-file "$packaged"
echo "==> version digests (a function publishes a version only when its digest changes)"
"$SAM_VENV/bin/python" scripts/version_digest.py "$packaged" --parameter-overrides "$overrides"
echo "==> sam deploy $STACK_NAME ($DEPLOYMENT_TYPE)"
"$SAM_VENV/bin/sam" deploy --template-file "$packaged" --stack-name "$STACK_NAME" \
  --capabilities CAPABILITY_IAM --no-confirm-changeset --no-fail-on-empty-changeset \
  --parameter-overrides "$overrides"

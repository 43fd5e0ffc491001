#!/usr/bin/env python3
"""Pin each function's next version to what it runs: code, properties and parameter values.

Usage: version_digest.py PACKAGED_TEMPLATE [--parameter-overrides "Key=Value ..."]

Runs on the template `sam package` wrote (CodeUri = s3://bucket/<content hash>), before
`sam deploy`, and rewrites it in place: every AWS::Serverless::Function gets
`AutoPublishCodeSha256` = SHA-256 of its CodeUri, its properties, the Globals it inherits and
the values (default or override) of every template parameter those read, directly or through a
condition. SAM names the function's next AWS::Lambda::Version after that digest, so:

- a function whose package, properties and parameter values did not change keeps its version:
  nothing is published and CodeDeploy does not touch its alias;
- a parameter change reaches exactly the functions that read it (SAM alone hashes the code and
  the *unresolved* properties: `SmsHourlyLimitGlobal=2000`, or a new `SecretsName` for a key
  rotation, would update $LATEST while the "live" alias kept serving the old version).

DeploymentPreference (how a version is rolled out, not what it runs) is left out of the digest.
Prints one line per function: its logical id and digest.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import shlex
import sys

import yaml

SUB_REF = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
NOT_HASHED = ("DeploymentPreference", "AutoPublishCodeSha256")


class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (!Ref, !Sub, !GetAtt ...) read as their long form."""


def _tag(loader: CfnLoader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _tag)


def load(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=CfnLoader)


def parse_overrides(text: str) -> dict[str, str]:
    """`Key=Value Key2='a b'` (sam deploy --parameter-overrides syntax) -> dict."""
    values = {}
    for item in shlex.split(text or ""):
        key, sep, value = item.partition("=")
        if not sep or not key:
            sys.exit(f"version_digest: not Key=Value: {item!r}")
        values[key] = value
    return values


def references(node, parameters: set[str], conditions: dict, seen: set[str] | None = None) -> set[str]:
    """Parameters a template fragment reads: Ref, ${Name} in Fn::Sub, and through Fn::If's conditions."""
    seen = set() if seen is None else seen
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str) and value in parameters:
                found.add(value)
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                if isinstance(text, str):
                    found |= {name for name in SUB_REF.findall(text) if name in parameters}
                if isinstance(value, list) and len(value) > 1:
                    found |= references(value[1], parameters, conditions, seen)
            elif key in ("Fn::If", "Condition"):
                name = value[0] if key == "Fn::If" and isinstance(value, list) else value
                if isinstance(name, str) and name in conditions and name not in seen:
                    seen.add(name)
                    found |= references(conditions[name], parameters, conditions, seen)
                if key == "Fn::If":
                    found |= references(value[1:], parameters, conditions, seen)
            else:
                found |= references(value, parameters, conditions, seen)
    elif isinstance(node, list):
        for item in node:
            found |= references(item, parameters, conditions, seen)
    return found


def digests(template: dict, overrides: dict[str, str]) -> dict[str, str]:
    declared = template.get("Parameters") or {}
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        sys.exit(f"version_digest: overrides of parameters the template does not declare: {', '.join(unknown)}")
    values = {name: str(overrides.get(name, spec.get("Default", ""))) for name, spec in declared.items()}
    conditions = template.get("Conditions") or {}
    globals_ = {k: v for k, v in ((template.get("Globals") or {}).get("Function") or {}).items() if k not in NOT_HASHED}
    result = {}
    for logical_id, resource in sorted((template.get("Resources") or {}).items()):
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = {k: v for k, v in (resource.get("Properties") or {}).items() if k not in NOT_HASHED}
        condition = {"Condition": resource["Condition"]} if "Condition" in resource else {}
        used = references([properties, globals_, condition], set(declared), conditions)
        material = {
            "properties": properties,
            "globals": globals_,
            "parameters": {name: values[name] for name in sorted(used)},
        }
        blob = json.dumps(material, sort_keys=True, separators=(",", ":"), default=str)
        result[logical_id] = hashlib.sha256(blob.encode("utf-8")).hexdigest()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("template", help="the template sam package wrote; rewritten in place")
    parser.add_argument("--parameter-overrides", default="", help="as given to sam deploy: Key=Value ...")
    args = parser.parse_args()

    template = load(args.template)
    computed = digests(template, parse_overrides(args.parameter_overrides))
    for logical_id, digest in computed.items():
        template["Resources"][logical_id].setdefault("Properties", {})["AutoPublishCodeSha256"] = digest
        print(f"{logical_id} {digest}")
    with open(args.template, "w", encoding="utf-8") as fh:
        yaml.safe_dump(template, fh, sort_keys=False, width=1000)


if __name__ == "__main__":
    main()

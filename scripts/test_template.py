"""template.yaml's deployment policy, and which functions publish a version when what changes.

Run with the SAM virtualenv's Python (it has samtranslator, the SAM transform CloudFormation
runs): .venv/sam/bin/python -m unittest scripts/test_template.py
"""
from __future__ import annotations

import copy
import json
import logging
import os
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import version_digest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = version_digest.load(str(ROOT / "template.yaml"))
RESOURCES = TEMPLATE["Resources"]
PARAMETERS = TEMPLATE["Parameters"]
GLOBALS = TEMPLATE["Globals"]["Function"]
FUNCTIONS = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function"}
ALIAS = "live"


def effective(resource: dict) -> dict:
    """A function's properties with the Globals it inherits (SAM merges maps, the resource wins)."""
    merged = copy.deepcopy(GLOBALS)
    for key, value in resource.get("Properties", {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def ref(name: str) -> dict:
    return {"Ref": name}


class Functions(unittest.TestCase):
    def test_the_template_deploys_exactly_the_crates_under_functions(self):
        crates = {p.parent.name for p in (ROOT / "functions").glob("*/Cargo.toml")}
        binaries = {f["Metadata"]["BuildProperties"]["Binary"] for f in FUNCTIONS.values()}
        self.assertEqual(binaries, crates)
        self.assertEqual(len(binaries), len(FUNCTIONS), "two resources build one binary")

    def test_every_function_publishes_through_the_live_alias(self):
        for logical_id, resource in FUNCTIONS.items():
            with self.subTest(logical_id):
                props = effective(resource)
                self.assertEqual(props.get("AutoPublishAlias"), ALIAS)
                self.assertIs(props.get("AutoPublishAliasAllProperties"), True)

    def test_every_function_rolls_out_by_the_deployment_type_and_rolls_back_on_its_alarms(self):
        for logical_id, resource in FUNCTIONS.items():
            with self.subTest(logical_id):
                prefix = logical_id.removesuffix("Function")
                pref = effective(resource).get("DeploymentPreference") or {}
                self.assertEqual(pref.get("Type"), ref("DeploymentType"))
                self.assertNotIn("Enabled", pref)
                self.assertEqual(pref.get("Alarms"), [ref(f"{prefix}ErrorsAlarm"), ref(f"{prefix}ThrottlesAlarm")])

    def test_the_rollback_alarms_watch_the_alias_and_the_new_version(self):
        for logical_id in FUNCTIONS:
            prefix = logical_id.removesuffix("Function")
            alias_dims = [{"Name": "FunctionName", "Value": ref(logical_id)},
                          {"Name": "Resource", "Value": {"Fn::Sub": f"${{{logical_id}}}:{ALIAS}"}}]
            for metric, dims in (
                ("Errors", alias_dims + [{"Name": "ExecutedVersion", "Value": {"Fn::GetAtt": [logical_id, "Version.Version"]}}]),
                ("Throttles", alias_dims),
            ):
                with self.subTest(logical_id, metric=metric):
                    alarm = RESOURCES[f"{prefix}{metric}Alarm"]
                    props = alarm["Properties"]
                    self.assertEqual(alarm["Type"], "AWS::CloudWatch::Alarm")
                    self.assertEqual((props["Namespace"], props["MetricName"], props["Statistic"]), ("AWS/Lambda", metric, "Sum"))
                    self.assertEqual(props["Dimensions"], dims)
                    self.assertEqual((props["ComparisonOperator"], props["Threshold"]), ("GreaterThanThreshold", 0))
                    self.assertEqual(props["TreatMissingData"], "notBreaching")
                    self.assertIn("AlarmActions", props)

    def test_every_function_has_a_p99_duration_alarm_on_its_alias(self):
        for logical_id in FUNCTIONS:
            with self.subTest(logical_id):
                props = RESOURCES[f"{logical_id.removesuffix('Function')}DurationAlarm"]["Properties"]
                self.assertEqual((props["MetricName"], props["ExtendedStatistic"]), ("Duration", "p99"))
                self.assertEqual(props["Threshold"], ref("DurationP99AlarmMs"))
                self.assertIn({"Name": "Resource", "Value": {"Fn::Sub": f"${{{logical_id}}}:{ALIAS}"}}, props["Dimensions"])

    def test_every_function_logs_to_a_group_of_its_own_with_retention_and_is_traced(self):
        groups = set()
        for logical_id, resource in FUNCTIONS.items():
            with self.subTest(logical_id):
                props = effective(resource)
                group = props["LoggingConfig"]["LogGroup"]["Ref"]
                self.assertEqual(RESOURCES[group]["Type"], "AWS::Logs::LogGroup")
                self.assertEqual(RESOURCES[group]["Properties"]["RetentionInDays"], ref("LogRetentionDays"))
                self.assertEqual(props.get("Tracing"), "Active")
                groups.add(group)
        self.assertEqual(len(groups), len(FUNCTIONS))

    def test_every_log_group_expires(self):
        for logical_id, resource in RESOURCES.items():
            if resource["Type"] == "AWS::Logs::LogGroup":
                with self.subTest(logical_id):
                    self.assertEqual(resource["Properties"]["RetentionInDays"], ref("LogRetentionDays"))


class Api(unittest.TestCase):
    api = RESOURCES["HttpApi"]["Properties"]

    def test_access_logs_are_json_lines_carrying_the_envelopes_request_id(self):
        settings = self.api["AccessLogSettings"]
        self.assertEqual(settings["DestinationArn"], {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]})
        line = json.loads(settings["Format"])  # each $context variable sits inside a JSON string
        self.assertEqual(line["request_id"], "req_$context.requestId")  # shared::http::envelope::request_id
        for key in ("status", "route", "latency_ms", "integration_error", "lambda_request_id"):
            self.assertIn(key, line)
        self.assertNotIn("\n", settings["Format"])

    def test_default_route_throttling_comes_from_parameters(self):
        self.assertEqual(self.api["DefaultRouteSettings"], {
            "ThrottlingRateLimit": ref("ApiThrottlingRateLimit"),
            "ThrottlingBurstLimit": ref("ApiThrottlingBurstLimit"),
        })

    def test_the_deployment_type_defaults_to_the_canary_and_allows_all_at_once(self):
        spec = PARAMETERS["DeploymentType"]
        self.assertEqual(spec["Default"], "Canary10Percent5Minutes")
        self.assertIn("AllAtOnce", spec["AllowedValues"])


class Versions(unittest.TestCase):
    """What CloudFormation would publish: SAM's transform of the packaged template, after version_digest."""

    @classmethod
    def setUpClass(cls):
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        logging.getLogger("samtranslator").setLevel(logging.ERROR)  # feature-toggle and metrics chatter
        from samtranslator.translator.transform import transform

        cls.transform = staticmethod(transform)
        cls.base = cls.versions()

    @classmethod
    def versions(cls, code: dict[str, str] | None = None, **overrides: str) -> dict[str, str]:
        """Function logical id -> logical id of the AWS::Lambda::Version the transform produces."""
        packaged = copy.deepcopy(TEMPLATE)
        for logical_id in FUNCTIONS:  # what sam package writes: the S3 key is the package's checksum
            key = (code or {}).get(logical_id, "0" * 32)
            packaged["Resources"][logical_id]["Properties"]["CodeUri"] = f"s3://artifacts/{key}"
        overrides = {"RealtimeEndpoint": "wss://rt.example.com/ws", **overrides}
        for logical_id, digest in version_digest.digests(packaged, overrides).items():
            packaged["Resources"][logical_id]["Properties"]["AutoPublishCodeSha256"] = digest

        class NoManagedPolicies:
            def load(self):
                return {}

        out = cls.transform(packaged, overrides, NoManagedPolicies())
        return {r["Properties"]["FunctionName"]["Ref"]: k for k, r in out["Resources"].items() if r["Type"] == "AWS::Lambda::Version"}

    def new_versions(self, code=None, **overrides) -> set[str]:
        after = self.versions(code, **overrides)
        self.assertEqual(set(after), set(FUNCTIONS))
        return {fn for fn in FUNCTIONS if after[fn] != self.base[fn]}

    def test_every_function_has_a_version_behind_its_alias(self):
        self.assertEqual(set(self.base), set(FUNCTIONS))

    def test_nothing_changed_nothing_published(self):
        self.assertEqual(self.new_versions(), set())

    def test_one_functions_new_package_publishes_that_function_only(self):
        self.assertEqual(self.new_versions({"CatalogFunction": "1" * 32}), {"CatalogFunction"})

    def test_a_parameter_publishes_exactly_the_functions_that_read_it(self):
        self.assertEqual(self.new_versions(SmsHourlyLimitGlobal="2000"), {"SmsSendFunction"})
        self.assertEqual(self.new_versions(RealtimeEndpoint="wss://rt2.example.com/ws"), {"LaunchFunction"})
        self.assertEqual(self.new_versions(WechatTimeoutMs="2000"), {"WechatLoginFunction", "AccountFunction"})

    def test_a_new_secret_reaches_every_function_that_reads_one(self):
        # (every function reads one since sessions checks tokens and seals cursors)
        self.assertEqual(self.new_versions(SecretsName="client-api/prod-2"), set(FUNCTIONS))

    def test_a_global_setting_publishes_every_function(self):
        self.assertEqual(self.new_versions(LogLevel="debug"), set(FUNCTIONS))

    def test_the_rollout_type_and_the_alarms_publish_nothing(self):
        self.assertEqual(self.new_versions(DeploymentType="AllAtOnce"), set())
        self.assertEqual(self.new_versions(DurationP99AlarmMs="5000", AlarmTopicArn="arn:aws:sns:us-east-1:1:t"), set())


if __name__ == "__main__":
    unittest.main()

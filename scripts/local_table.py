"""Create the local table exactly as template.yaml defines it (keys, GSIs, TTL), idempotently.

Usage: local_table.py TEMPLATE  (endpoint, region and TABLE_NAME from the environment)
"""
import os
import sys

import boto3
import yaml


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !Sub, ...) as plain values."""


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as fh:
        template = yaml.load(fh, Loader=_CfnLoader)
    props = template["Resources"]["Table"]["Properties"]
    name = os.environ["TABLE_NAME"]
    ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    if name in ddb.list_tables()["TableNames"]:
        print(f"table {name} exists")
        return
    args = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props["BillingMode"],
    }
    if props.get("GlobalSecondaryIndexes"):
        args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    ddb.create_table(**args)
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    print(f"table {name} created from {sys.argv[1]}")


if __name__ == "__main__":
    main()

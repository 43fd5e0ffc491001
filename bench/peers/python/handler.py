"""GET /cards the way a Python team writes it: boto3's DynamoDB client made at import (init), one
Query per request, run by the Lambda runtime interface client (`python -m awslambdaric
handler.handler`). A bench peer only (scripts/bench.py --peers): never deployed."""
import json
import os

import boto3
from boto3.dynamodb.types import TypeDeserializer

TABLE = os.environ["TABLE_NAME"]
dynamodb = boto3.client("dynamodb")  # AWS_ENDPOINT_URL, region and credentials from the environment
deserialize = TypeDeserializer().deserialize

FIELDS = ("card_id", "card_type", "display_name", "competition_id", "html_url", "cover_url", "display_slot", "display_priority")


def card(item):
    c = {k: deserialize(v) for k, v in item.items()}
    view = {k: c.get(k) for k in FIELDS}
    view["competition_id"] = view["competition_id"] or None
    view["display_priority"] = int(view["display_priority"])
    return view


def handler(event, context):
    region = (event.get("queryStringParameters") or {}).get("region_code") or "*"
    items, start = [], None
    while True:
        args = {"TableName": TABLE, "KeyConditionExpression": "#pk = :pk", "ConsistentRead": True,
                "ExpressionAttributeNames": {"#pk": "PK"}, "ExpressionAttributeValues": {":pk": {"S": f"CARDS#{region}"}}}
        if start:
            args["ExclusiveStartKey"] = start
        out = dynamodb.query(**args)
        items += out["Items"]
        start = out.get("LastEvaluatedKey")
        if not start:
            break
    body = {"request_id": "req_" + event["requestContext"]["requestId"], "data": {"items": [card(i) for i in items]}}
    return {"statusCode": 200, "headers": {"content-type": "application/json", "cache-control": "no-store"}, "body": json.dumps(body)}

// GET /cards the way a Node team writes it: @aws-sdk/client-dynamodb v3's client made at module
// load (init), one Query per request. A bench peer only (scripts/bench.py --peers): never deployed.
import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";

const TABLE = process.env.TABLE_NAME;
const client = new DynamoDBClient({}); // AWS_ENDPOINT_URL, region and credentials from the environment

const card = (item) => {
  const c = unmarshall(item);
  return {
    card_id: c.card_id, card_type: c.card_type, display_name: c.display_name,
    competition_id: c.competition_id || null, html_url: c.html_url ?? null, cover_url: c.cover_url ?? null,
    display_slot: c.display_slot, display_priority: Number(c.display_priority),
  };
};

export const handler = async (event) => {
  const region = event.queryStringParameters?.region_code || "*";
  const items = [];
  let start;
  do {
    const out = await client.send(new QueryCommand({
      TableName: TABLE, KeyConditionExpression: "#pk = :pk", ConsistentRead: true,
      ExpressionAttributeNames: { "#pk": "PK" }, ExpressionAttributeValues: { ":pk": { S: `CARDS#${region}` } },
      ExclusiveStartKey: start,
    }));
    items.push(...out.Items);
    start = out.LastEvaluatedKey;
  } while (start);
  const body = { request_id: `req_${event.requestContext.requestId}`, data: { items: items.map(card) } };
  return { statusCode: 200, headers: { "content-type": "application/json", "cache-control": "no-store" }, body: JSON.stringify(body) };
};

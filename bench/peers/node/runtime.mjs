// The smallest honest Lambda Runtime API loop: what AWS's Node image runs around a handler
// (GET /next, call the handler, POST the answer or the error). Stands in for the npm package
// aws-lambda-ric, whose native build needs cmake and autotools and compiles curl: not on the
// bench machine. node:http with a keep-alive agent, as the real client keeps one connection.
import http from "node:http";
import { handler } from "./index.mjs";

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const base = "/2018-06-01/runtime/invocation";

const call = (method, path, body) => new Promise((resolve, reject) => {
  const req = http.request({ host, port, method, path, agent, headers: body ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : {} }, (res) => {
    const chunks = [];
    res.on("data", (c) => chunks.push(c));
    res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString() }));
  });
  req.on("error", reject);
  req.end(body);
});

for (;;) {
  const next = await call("GET", `${base}/next`);
  const id = next.headers["lambda-runtime-aws-request-id"];
  const context = { awsRequestId: id, getRemainingTimeInMillis: () => Number(next.headers["lambda-runtime-deadline-ms"]) - Date.now() };
  try {
    const result = await handler(JSON.parse(next.body), context);
    await call("POST", `${base}/${id}/response`, JSON.stringify(result));
  } catch (e) {
    await call("POST", `${base}/${id}/error`, JSON.stringify({ errorType: e.name, errorMessage: e.message }));
  }
}

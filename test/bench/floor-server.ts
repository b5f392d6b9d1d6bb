// The bench's floor: the least an order intake can do. node:http, no
// framework, one insert into the same store (a collection with the same
// unique idempotency-key index as orders), one JetStream publish with ack,
// then 202. The platform's intake is measured against it in the same run.
// Reads MONGODB_URL, NATS_URL and PORT; prints FLOOR_URL=… when listening.
import { createServer } from "node:http";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { MongoClient } from "mongodb";

const mongo = new MongoClient(process.env.MONGODB_URL!, { maxPoolSize: 20 });
await mongo.connect();
const orders = mongo.db().collection<{ _id: string; [field: string]: unknown }>("floor_orders");
await orders.createIndex({ idempotencyKey: 1 }, { unique: true, name: "idempotencyKey_unique" });
const nc = await connect({ servers: process.env.NATS_URL!, user: process.env.NATS_USER, pass: process.env.NATS_PASSWORD });
const jsm = await jetstreamManager(nc);
await jsm.streams.add({ name: "BENCH_FLOOR", subjects: ["bench.floor.>"] }).catch(() => undefined);
const js = jetstream(nc);

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    void (async () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, string>;
        const orderId = body.orderId!;
        await orders.insertOne({ _id: orderId, ...body, idempotencyKey: String(req.headers["idempotency-key"]), status: "PENDING", createdAt: new Date() });
        await js.publish(`bench.floor.submitted`, JSON.stringify({ orderId }), { msgID: orderId });
        res.writeHead(202, { "content-type": "application/json" });
        res.end(JSON.stringify({ orderId, status: "PENDING" }));
      } catch (err) {
        res.writeHead(500);
        res.end(String(err));
      }
    })();
  });
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`FLOOR_URL=http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  void Promise.all([nc.drain(), mongo.close()]).finally(() => process.exit(0));
});

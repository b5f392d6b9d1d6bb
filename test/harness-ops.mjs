// TEMP (not committed): store operations per order, from PostgreSQL's table statistics.
import { startStack } from "@t2m/devstack";
import { execSync } from "node:child_process";
const stack = await startStack({ ports: "random", logLevel: "warn", env: { RATE_LIMIT_PER_MINUTE: "1000000000", ZOHO_SANDBOX_RATE_LIMIT_PER_MINUTE: "0", ZOHO_BUDGET_CALLS_PER_MINUTE: "0", ZOHO_SANDBOX_MAX_CONCURRENT: "0", ZOHO_BUDGET_MAX_CONCURRENT: "0" } });
console.log(stack.store.description);
const db = /database (\S+) on/.exec(stack.store.description)[1];
const stats = () => Object.fromEntries(execSync(`psql -h 127.0.0.1 -U postgres -d ${db} -At -F, -c "select schemaname||'.'||relname, seq_scan, coalesce(idx_scan,0), n_tup_ins, n_tup_upd, n_tup_del from pg_stat_user_tables"`).toString().trim().split("\n").map((l) => { const [n, ...v] = l.split(","); return [n, v.map(Number)]; }));
const N = Number(process.env.N ?? 100);
let seq = 0; const run = Date.now().toString(36);
const submitMany = async (n, prefix) => Promise.all(Array.from({ length: n }, async () => { const i = seq++; const orderId = `O-${run}-${prefix}-${i}`; const res = await fetch(`${stack.urls.gateway}/t2mobile/fulfilment`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${stack.apiKey}`, "idempotency-key": `k-${orderId}` }, body: JSON.stringify({ orderId, productId: "ZOHO_CRM_STD", customerId: `C${i}`, customerName: `Bench ${i}`, customerEmail: `b${i}@example.com`, customerPhone: "08012345678", tenure: "12_MONTHS" }) }); if (res.status !== 202) throw new Error(String(res.status)); return orderId; }));
const delivered = async (ids) => { for (;;) { const r = await fetch(`${stack.urls["webhook-inbox"]}/__inbox/messages?verified=true`); const { messages } = await r.json(); const got = new Set(messages.map((m) => m.orderId)); if (ids.every((id) => got.has(id))) return; await new Promise((r) => setTimeout(r, 500)); } };
await delivered(await submitMany(10, "W"));
await new Promise((r) => setTimeout(r, 3000));
const before = stats();
const ids = [];
for (let k = 0; k < N / 10; k++) { ids.push(...(await submitMany(10, "M"))); await new Promise((r) => setTimeout(r, 200)); }
await delivered(ids);
await new Promise((r) => setTimeout(r, 3000));
const after = stats();
const rows = [];
for (const [name, v] of Object.entries(after)) { const b = before[name] ?? [0, 0, 0, 0, 0]; const d = v.map((x, i) => (x - b[i]) / N); if (d.some((x) => x > 0.001)) rows.push([name, ...d.map((x) => x.toFixed(2))]); }
console.log("per order: table seq_scan idx_scan ins upd del");
for (const r of rows.sort()) console.log(r.join("\t"));
await stack.stop();

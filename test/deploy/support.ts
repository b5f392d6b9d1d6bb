// Helpers for the chart tests: run Helm, parse what it renders, validate
// objects against the Kubernetes OpenAPI schema (kubernetes-models), and know
// which Prometheus metrics the code really defines.
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { createMetrics } from "@t2m/platform";
import { REPO_ROOT } from "@t2m/devstack";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { parseAllDocuments } from "yaml";

export const CHART_DIR = join(REPO_ROOT, "charts/t2mobile-fulfilment");
export const FIXTURES = join(REPO_ROOT, "test/deploy/fixtures");

/** The deployed services and their ports (README "Ports"). */
export const SERVICE_PORTS = { gateway: 4000, catalogue: 4101, fulfilment: 4102, provisioning: 4103, notification: 4104 } as const;
export type DeployedService = keyof typeof SERVICE_PORTS;
export const DEPLOYED_SERVICES = Object.keys(SERVICE_PORTS) as DeployedService[];

/** Every variable that is a secret (README "Configuration"). */
export const SECRET_VARIABLES = [
  "T2MOBILE_API_KEY",
  "MONGODB_URL",
  "ZOHO_ORGANIZATION_ID",
  "ZOHO_CLIENT_ID",
  "ZOHO_CLIENT_SECRET",
  "ZOHO_REFRESH_TOKEN",
  "T2MOBILE_WEBHOOK_SECRET",
  "T2MOBILE_WEBHOOK_SECRETS",
  "T2MOBILE_WEBHOOK_URL",
  "NATS_PASSWORD",
  "RPC_TOKEN_GATEWAY",
  "RPC_TOKEN_FULFILMENT",
  "RPC_TOKEN_PROVISIONING",
  "RPC_TOKEN_NOTIFICATION",
  "RPC_TOKEN_GATEWAY_SHA256",
  "RPC_TOKEN_FULFILMENT_SHA256",
  "RPC_TOKEN_PROVISIONING_SHA256",
  "RPC_TOKEN_NOTIFICATION_SHA256",
  "RPC_TOKEN_OPERATOR_SHA256",
  "SANDBOX_LICENCE_KEY",
] as const;

/** The Secret's key a variable comes from: its own name, but each service's NATS_PASSWORD is NATS_PASSWORD_<SERVICE>. */
export const secretKeyOf = (service: string, variable: string): string =>
  variable === "NATS_PASSWORD" ? `NATS_PASSWORD_${service.toUpperCase()}` : variable;

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runHelm(helm: string, args: readonly string[]): Promise<HelmResult> {
  return new Promise((resolve, reject) => {
    execFile(helm, [...args], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(err);
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

/** Any object Helm rendered, before validation. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [field: string]: unknown;
}

export async function helmTemplate(helm: string, options: { release?: string; namespace?: string; valuesFiles?: readonly string[]; set?: readonly string[] } = {}): Promise<K8sObject[]> {
  const args = ["template", options.release ?? "t2m", CHART_DIR, "--namespace", options.namespace ?? "t2mobile"];
  for (const file of options.valuesFiles ?? []) args.push("--values", file);
  for (const value of options.set ?? []) args.push("--set", value);
  const result = await runHelm(helm, args);
  if (result.code !== 0) throw new Error(`helm ${args.join(" ")} failed (exit ${result.code}):\n${result.stderr}`);
  return parseManifests(result.stdout);
}

export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors.map((e) => e.message).join("; ")}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const object = value as K8sObject;
    if (typeof object.apiVersion !== "string" || typeof object.kind !== "string" || typeof object.metadata?.name !== "string") {
      throw new Error(`rendered document is not a Kubernetes object: ${JSON.stringify(value).slice(0, 200)}`);
    }
    objects.push(object);
  }
  return objects;
}

/** Validates against the Kubernetes OpenAPI schema; throws with the object's kind and name. */
export function validateObject(object: K8sObject): void {
  const models: Record<string, new (data: never) => { validate(): void }> = {
    "v1/ConfigMap": ConfigMap,
    "v1/Service": Service,
    "v1/ServiceAccount": ServiceAccount,
    "apps/v1/Deployment": Deployment,
    "batch/v1/CronJob": CronJob,
    "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
    "networking.k8s.io/v1/Ingress": Ingress,
    "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
    "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  };
  const key = `${object.apiVersion}/${object.kind}`;
  if (key === "monitoring.coreos.com/v1/ServiceMonitor" || key === "monitoring.coreos.com/v1/PrometheusRule") {
    // kubernetes-models has no Prometheus Operator models: the tests assert these objects' fields explicitly.
    return;
  }
  const Model = models[key];
  if (!Model) throw new Error(`no schema to validate ${key} ${object.metadata.name} against: add its model to validateObject`);
  try {
    new Model(object as never).validate();
  } catch (err) {
    throw new Error(`${key} ${object.metadata.name} is invalid: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function ofKind<T = K8sObject>(objects: readonly K8sObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as unknown as T[];
}

// ---- what the code defines

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

/** The services' own sources (tests excluded), by path relative to the repository. */
export async function serviceSources(): Promise<Map<string, string>> {
  const sources = new Map<string, string>();
  for (const service of await readdir(join(REPO_ROOT, "services"))) {
    const src = join(REPO_ROOT, "services", service, "src");
    let files: string[];
    try {
      files = await sourceFiles(src);
    } catch {
      continue;
    }
    for (const file of files) sources.set(relative(REPO_ROOT, file), await readFile(file, "utf8"));
  }
  return sources;
}

export type MetricType = "counter" | "gauge" | "histogram" | "summary";

/**
 * Metrics the processes expose: every `new Counter|Gauge|Histogram|Summary({ name: "t2m_…" })`
 * in services/*\/src, plus what @t2m/platform's createMetrics registers (prom-client's
 * process and Node.js defaults and the platform's own).
 */
export async function definedMetrics(): Promise<Map<string, MetricType>> {
  const metrics = new Map<string, MetricType>();
  const pattern = /new (Counter|Gauge|Histogram|Summary)\s*(?:<[^>]*>)?\(\{\s*name:\s*"([a-z_:][a-z0-9_:]*)"/g;
  for (const text of (await serviceSources()).values()) {
    for (const match of text.matchAll(pattern)) metrics.set(match[2]!, match[1]!.toLowerCase() as MetricType);
  }
  for (const metric of await createMetrics("chart-test").registry.getMetricsAsJSON()) metrics.set(metric.name, String(metric.type) as MetricType);
  return metrics;
}

/** The series names a metric exposes, e.g. a histogram's _bucket, _count and _sum. */
export function seriesNames(metrics: ReadonlyMap<string, MetricType>): Map<string, string> {
  const series = new Map<string, string>();
  for (const [name, type] of metrics) {
    if (type === "histogram") for (const suffix of ["_bucket", "_count", "_sum"]) series.set(name + suffix, name);
    else if (type === "summary") for (const suffix of ["", "_count", "_sum"]) series.set(name + suffix, name);
    else series.set(name, name);
  }
  return series;
}

// ---- PromQL, just enough to find the metric names an expression reads

const PROMQL_FUNCTIONS = new Set([
  "sum", "avg", "min", "max", "count", "topk", "bottomk", "quantile", "stddev", "stdvar", "count_values", "group",
  "rate", "irate", "increase", "delta", "idelta", "deriv", "predict_linear", "resets", "changes",
  "histogram_quantile", "absent", "absent_over_time", "clamp", "clamp_min", "clamp_max", "abs", "ceil", "floor", "round",
  "sum_over_time", "avg_over_time", "max_over_time", "min_over_time", "count_over_time", "last_over_time", "quantile_over_time",
  "label_replace", "label_join", "vector", "scalar", "time", "timestamp", "sort", "sort_desc", "sgn", "exp", "ln", "log2", "log10", "sqrt",
]);
const PROMQL_KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan"]);

/** Metric names in a PromQL expression (Grafana's $variables allowed); throws on an unknown function or unbalanced brackets. */
export function promqlMetricNames(expr: string): string[] {
  let text = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  for (const [open, close] of [["(", ")"], ["{", "}"], ["[", "]"]] as const) {
    let depth = 0;
    for (const ch of text) {
      if (ch === open) depth++;
      if (ch === close) depth--;
      if (depth < 0) throw new Error(`unbalanced ${open}${close} in: ${expr}`);
    }
    if (depth !== 0) throw new Error(`unbalanced ${open}${close} in: ${expr}`);
  }
  text = text
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\$\{?\w+\}?/g, " ");
  const names: string[] = [];
  for (const match of text.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const word = match[1]!;
    if (match[2]) {
      if (!PROMQL_FUNCTIONS.has(word)) throw new Error(`unknown PromQL function ${word} in: ${expr}`);
    } else if (!PROMQL_KEYWORDS.has(word)) {
      names.push(word);
    }
  }
  return names;
}

/** Exact-match label values (label="value") in an expression, skipping $variables and target labels. */
export function promqlLabelValues(expr: string): Array<{ label: string; value: string }> {
  const skip = new Set(["namespace", "pod", "job", "service", "instance", "container", "le"]);
  const out: Array<{ label: string; value: string }> = [];
  for (const match of expr.matchAll(/([a-zA-Z_]\w*)\s*=\s*"([^"]*)"/g)) {
    const [label, value] = [match[1]!, match[2]!];
    if (!skip.has(label) && !value.includes("$")) out.push({ label, value });
  }
  return out;
}

/** An executable on PATH (or in /usr/sbin, /usr/bin), if any. */
export function findExecutableOnPath(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(":"), "/usr/bin", "/usr/sbin", "/usr/local/bin"]) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

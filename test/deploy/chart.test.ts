// The Helm chart (charts/t2mobile-fulfilment) and the kustomize overlays
// (k8s/): lint with the values schema, render, validate every object against
// the Kubernetes schema, and check what matters for running the platform —
// probes, hardening, secrets only from the Secret and only where read, the
// dashboards and alerts built on metrics the code really exposes.
// Helm is built with Go when missing (ensureHelmBinary; ~3.5 min the first time).
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadCatalogueConfig } from "@t2m/catalogue";
import { ensureHelmBinary, REPO_ROOT } from "@t2m/devstack";
import { loadFulfilmentConfig } from "@t2m/fulfilment";
import { loadGatewayConfig } from "@t2m/gateway";
import { loadNotificationConfig } from "@t2m/notification";
import { ConfigError } from "@t2m/platform";
import { ALL_JOBS, jobEntry, RpcCallersOf, RpcServices, SandboxDefaults, ServiceNodeFlags } from "@t2m/topology";

// ajv-formats is CommonJS: its plugin is the module object's `default`.
const addFormats = addFormatsModule.default;
import { Cron } from "croner";
import { existsSync } from "node:fs";
import type { ICronJob } from "kubernetes-models/batch/v1/CronJob";
import { loadProvisioningConfig } from "@t2m/provisioning";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IService } from "kubernetes-models/v1/Service";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  CHART_DIR,
  DEPLOYED_SERVICES,
  definedMetrics,
  FIXTURES,
  helmTemplate,
  ofKind,
  promqlLabelValues,
  promqlMetricNames,
  runHelm,
  SECRET_VARIABLES,
  SERVICE_PORTS,
  secretKeyOf,
  seriesNames,
  serviceSources,
  validateObject,
  type DeployedService,
  type K8sObject,
  type MetricType,
} from "./support.js";

/**
 * The variables each service's own config loader reads: every key it returns
 * with local defaults, and the secrets production cannot start without.
 */
const CONFIG_LOADERS: Record<DeployedService, (env: Record<string, string | undefined>) => object> = {
  gateway: loadGatewayConfig,
  catalogue: loadCatalogueConfig,
  fulfilment: loadFulfilmentConfig,
  provisioning: loadProvisioningConfig,
  notification: loadNotificationConfig,
};

function variablesRead(service: DeployedService): string[] {
  return Object.keys(CONFIG_LOADERS[service]({}));
}

function requiredInProduction(service: DeployedService): string[] {
  try {
    CONFIG_LOADERS[service]({ NODE_ENV: "production" });
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Secrets only: a required setting (LICENCE_PROVISIONER) is the values' to set, not the Secret's.
    return err.problems.map((p) => p.split(" ")[0]!).filter((name) => SECRET_VARIABLES.includes(name as never));
  }
}

/** Which secrets each service gets from existingSecret: what production requires, plus MONGODB_URL (it may carry credentials). */
const EXPECTED_SECRETS: Record<DeployedService, readonly string[]> = {
  gateway: ["T2MOBILE_API_KEY", "MONGODB_URL", "NATS_PASSWORD", "RPC_TOKEN_GATEWAY"],
  catalogue: ["RPC_TOKEN_GATEWAY_SHA256", "RPC_TOKEN_FULFILMENT_SHA256", "RPC_TOKEN_PROVISIONING_SHA256", "RPC_TOKEN_OPERATOR_SHA256"],
  fulfilment: [
    "MONGODB_URL",
    "NATS_PASSWORD",
    "RPC_TOKEN_FULFILMENT",
    "RPC_TOKEN_GATEWAY_SHA256",
    "RPC_TOKEN_NOTIFICATION_SHA256",
    "RPC_TOKEN_PROVISIONING_SHA256",
    "RPC_TOKEN_OPERATOR_SHA256",
  ],
  provisioning: [
    "MONGODB_URL",
    "NATS_PASSWORD",
    "ZOHO_ORGANIZATION_ID",
    "ZOHO_CLIENT_ID",
    "ZOHO_CLIENT_SECRET",
    "ZOHO_REFRESH_TOKEN",
    "RPC_TOKEN_PROVISIONING",
    "RPC_TOKEN_GATEWAY_SHA256",
    "RPC_TOKEN_FULFILMENT_SHA256",
    "RPC_TOKEN_NOTIFICATION_SHA256",
    "RPC_TOKEN_OPERATOR_SHA256",
  ],
  notification: ["MONGODB_URL", "NATS_PASSWORD", "T2MOBILE_WEBHOOK_SECRET", "T2MOBILE_WEBHOOK_URL", "RPC_TOKEN_NOTIFICATION", "RPC_TOKEN_OPERATOR_SHA256"],
};

/** Secrets a service reads only when the Secret has them (optional secretKeyRefs), e.g. the extra signing secrets of a rotation. */
const OPTIONAL_SECRETS: Record<DeployedService, readonly string[]> = {
  gateway: [],
  catalogue: [],
  fulfilment: [],
  provisioning: ["SANDBOX_LICENCE_KEY"],
  notification: ["T2MOBILE_WEBHOOK_SECRETS"],
};

const PRODUCTION_VALUES = join(FIXTURES, "values-production.yaml");

let helm: string;
let scratch: string;
let metrics: Map<string, MetricType>;
let series: Map<string, string>;
let sources: Map<string, string>;
let renders: { name: string; objects: K8sObject[]; values: { existingSecret: string; shutdownTimeoutMs: number; preStopSleepSeconds: number } }[];

beforeAll(async () => {
  const started = Date.now();
  const binary = await ensureHelmBinary({ log: (m) => process.stderr.write(`chart tests: ${m}\n`) });
  if (binary.built) process.stderr.write(`chart tests: built Helm in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  helm = binary.path;
  scratch = await mkdtemp(join(tmpdir(), "t2m-chart-"));
  metrics = await definedMetrics();
  series = seriesNames(metrics);
  sources = await serviceSources();
  renders = [
    {
      name: "default values",
      objects: await helmTemplate(helm, { namespace: "t2mobile" }),
      values: { existingSecret: "t2mobile-fulfilment-secrets", shutdownTimeoutMs: 10_000, preStopSleepSeconds: 5 },
    },
    {
      name: "production fixture",
      objects: await helmTemplate(helm, { release: "prod", namespace: "t2mobile-prod", valuesFiles: [PRODUCTION_VALUES] }),
      values: { existingSecret: "t2mobile-prod-secrets", shutdownTimeoutMs: 25_000, preStopSleepSeconds: 10 },
    },
  ];
}, 15 * 60_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const deployments = (objects: readonly K8sObject[]) => ofKind<IDeployment>(objects, "Deployment");
const serviceOf = (d: IDeployment) => d.metadata!.labels!["app.kubernetes.io/component"] as DeployedService;
const containerOf = (d: IDeployment): IContainer => {
  const containers = d.spec!.template.spec!.containers;
  expect(containers).toHaveLength(1);
  return containers[0]!;
};

describe("helm lint --strict", () => {
  it("passes with the default values and with the production fixture", async () => {
    for (const args of [[], ["--values", PRODUCTION_VALUES]]) {
      const result = await runHelm(helm, ["lint", "--strict", CHART_DIR, ...args]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain("0 chart(s) failed");
    }
  });

  // Each of these must be refused by values.schema.json (lint) and so by install/template too.
  const bad: Array<[string, string, RegExp]> = [
    ["a typo in a top-level key", "existingSecert: t2mobile-secrets\n", /existingSecert/],
    ["a typo in a nested key", "monitoring:\n  serviceMonitor:\n    enabeld: true\n", /enabeld/],
    ["a string where an integer belongs", "services:\n  gateway:\n    replicas: two\n", /replicas/],
    ["a boolean where a string belongs", "existingSecret: true\n", /existingSecret/],
    ["a secret in commonEnv", "commonEnv:\n  MONGODB_URL: mongodb://user:password@mongo/t2mobile\n", /MONGODB_URL|commonEnv/],
    ["a secret in a service's extraEnv", "services:\n  gateway:\n    extraEnv:\n      T2MOBILE_API_KEY: not-here\n", /T2MOBILE_API_KEY|extraEnv/],
    ["a service that is not deployable", "services:\n  zoho-sandbox:\n    enabled: true\n", /zoho-sandbox/],
    ["an unknown settings group in uses", "services:\n  gateway:\n    uses: [nats, redis]\n", /uses|redis/],
    ["an unknown secret in secretEnv", "services:\n  gateway:\n    secretEnv: [AWS_SECRET_ACCESS_KEY]\n", /secretEnv|AWS_SECRET_ACCESS_KEY/],
    ["a resources block without requests", "services:\n  gateway:\n    resources:\n      requests: null\n      limits: { memory: 1Gi }\n", /requests/],
    ["a job schedule that is not cron", "jobs:\n  webhook-retry:\n    schedule: every five minutes\n", /schedule/],
    ["a job schedule with six fields", "jobs:\n  webhook-retry:\n    schedule: \"0 */5 * * * *\"\n", /schedule/],
    ["a job time zone that is not one", "jobs:\n  webhook-retry:\n    timeZone: lagos\n", /timeZone/],
    ["a job of a service the chart does not deploy", "jobs:\n  webhook-retry:\n    service: webhook-inbox\n", /service/],
  ];
  it.each(bad)("fails on %s", async (_what, values, mentions) => {
    const file = join(scratch, `bad-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, values);
    const lint = await runHelm(helm, ["lint", "--strict", CHART_DIR, "--values", file]);
    expect(lint.code, lint.stdout).not.toBe(0);
    expect(lint.stdout + lint.stderr).toMatch(mentions);
    const template = await runHelm(helm, ["template", "t2m", CHART_DIR, "--values", file]);
    expect(template.code).not.toBe(0);
  });
});

describe("rendered objects", () => {
  it("are valid Kubernetes objects, with no Secret among them", () => {
    for (const { name, objects } of renders) {
      expect(objects.length, name).toBeGreaterThan(0);
      for (const object of objects) {
        expect(object.kind, `${name}: the chart must never render a Secret`).not.toBe("Secret");
        validateObject(object);
      }
      const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
      expect(new Set(names).size, `${name}: duplicate objects`).toBe(names.length);
    }
  });

  it("deploy exactly the five services, each with a Service on its port", () => {
    for (const { name, objects } of renders) {
      expect(deployments(objects).map(serviceOf).sort(), name).toEqual([...DEPLOYED_SERVICES].sort());
      for (const deployment of deployments(objects)) {
        const service = serviceOf(deployment);
        const port = SERVICE_PORTS[service];
        const svc = ofKind<IService>(objects, "Service").find((s) => s.metadata!.name === deployment.metadata!.name);
        expect(svc, `${name}: Service for ${service}`).toBeDefined();
        expect(svc!.spec!.ports).toEqual([expect.objectContaining({ name: "http", port, targetPort: "http" })]);
        expect(svc!.spec!.selector).toEqual(deployment.spec!.selector.matchLabels);
        expect(containerOf(deployment).ports).toEqual([expect.objectContaining({ name: "http", containerPort: port })]);
      }
      const gateway = ofKind<IService>(objects, "Service").find((s) => s.metadata!.labels!["app.kubernetes.io/component"] === "gateway");
      expect(gateway!.spec!.ports![0]!.port).toBe(4000);
    }
  });

  it("run each service's own entry point with the telemetry preload and the platform's heap settings", () => {
    for (const { objects } of renders) {
      for (const deployment of deployments(objects)) {
        const container = containerOf(deployment);
        expect([...(container.command ?? []), ...(container.args ?? [])]).toEqual([
          "node",
          ...ServiceNodeFlags,
          "--import",
          "@t2m/platform/telemetry-register",
          `services/${serviceOf(deployment)}/dist/main.js`,
        ]);
      }
    }
  });

  it("probe with gRPC health checking on the service's port: liveness (startup, liveness) and the whole process (readiness)", () => {
    for (const { name, objects } of renders) {
      for (const deployment of deployments(objects)) {
        const container = containerOf(deployment);
        const where = `${name}: ${serviceOf(deployment)}`;
        for (const [probe, service] of [
          [container.startupProbe, "liveness"],
          [container.livenessProbe, "liveness"],
          [container.readinessProbe, ""],
        ] as const) {
          // grpc.health.v1 answers "liveness" always and "" as /readyz (services/platform/src/grpc-ops.ts).
          expect(probe?.grpc, where).toEqual({ port: SERVICE_PORTS[serviceOf(deployment)], service });
          expect(probe?.httpGet, where).toBeUndefined();
        }
        // The readiness checks themselves take up to 2 s each.
        expect(container.readinessProbe!.timeoutSeconds!, where).toBeGreaterThanOrEqual(3);
      }
    }
  });

  it("run hardened: non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp, a writable /tmp", () => {
    for (const { name, objects } of renders) {
      for (const deployment of deployments(objects)) {
        const where = `${name}: ${serviceOf(deployment)}`;
        const pod = deployment.spec!.template.spec!;
        const container = containerOf(deployment);
        expect(pod.securityContext, where).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        expect(pod.securityContext!.runAsUser, where).toBeGreaterThan(0);
        expect(pod.automountServiceAccountToken, where).toBe(false);
        expect(container.securityContext, where).toMatchObject({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          seccompProfile: { type: "RuntimeDefault" },
        });
        expect(container.securityContext!.capabilities!.add ?? [], where).toEqual([]);
        const tmp = container.volumeMounts?.find((m) => m.mountPath === "/tmp");
        expect(tmp, where).toBeDefined();
        expect(pod.volumes?.find((v) => v.name === tmp!.name)?.emptyDir, where).toBeDefined();
      }
    }
  });

  it("request CPU and memory and limit memory", () => {
    for (const { name, objects } of renders) {
      for (const deployment of deployments(objects)) {
        const resources = containerOf(deployment).resources;
        const where = `${name}: ${serviceOf(deployment)}`;
        expect(resources?.requests?.cpu, where).toBeDefined();
        expect(resources?.requests?.memory, where).toBeDefined();
        expect(resources?.limits?.memory, where).toBeDefined();
      }
    }
  });

  it("give pods longer to stop than the preStop sleep plus SHUTDOWN_TIMEOUT_MS", () => {
    for (const { name, objects, values } of renders) {
      for (const deployment of deployments(objects)) {
        const grace = deployment.spec!.template.spec!.terminationGracePeriodSeconds!;
        expect(grace, `${name}: ${serviceOf(deployment)}`).toBeGreaterThan(values.shutdownTimeoutMs / 1000 + values.preStopSleepSeconds);
        const config = configMapOf(objects, deployment);
        expect(config.data!.SHUTDOWN_TIMEOUT_MS).toBe(String(values.shutdownTimeoutMs));
      }
    }
  });

  it("carry Prometheus scrape annotations with the default values", () => {
    const [defaults] = renders;
    for (const deployment of deployments(defaults!.objects)) {
      expect(deployment.spec!.template.metadata!.annotations).toMatchObject({
        "prometheus.io/scrape": "true",
        "prometheus.io/port": String(SERVICE_PORTS[serviceOf(deployment)]),
        "prometheus.io/path": "/metrics",
      });
    }
  });

  it("have a PodDisruptionBudget per service, selecting its pods", () => {
    for (const { name, objects } of renders) {
      const budgets = ofKind<IPodDisruptionBudget>(objects, "PodDisruptionBudget");
      expect(budgets, name).toHaveLength(DEPLOYED_SERVICES.length);
      for (const deployment of deployments(objects)) {
        const budget = budgets.find((b) => b.metadata!.name === deployment.metadata!.name);
        expect(budget?.spec?.selector?.matchLabels, name).toEqual(deployment.spec!.selector.matchLabels);
      }
    }
  });
});

describe("scheduled jobs (CronJobs)", () => {
  const cronJobs = (objects: readonly K8sObject[]) => ofKind<ICronJob>(objects, "CronJob");
  const jobNameOf = (c: ICronJob) => String(c.metadata!.labels!["app.kubernetes.io/component"]).replace(/^job-/, "");

  it("one CronJob per job of the platform, on the schedule and time zone services/topology lists, never overlapping", () => {
    for (const { name, objects } of renders) {
      expect(cronJobs(objects).map(jobNameOf).sort(), name).toEqual(ALL_JOBS.map((j) => j.name).sort());
      for (const cronJob of cronJobs(objects)) {
        const job = ALL_JOBS.find((j) => j.name === jobNameOf(cronJob))!;
        const spec = cronJob.spec!;
        expect(spec, `${name}: ${job.name}`).toMatchObject({ schedule: job.schedule, timeZone: "Africa/Lagos", concurrencyPolicy: "Forbid" });
        expect(job.timeZone).toBe("Africa/Lagos");
        expect(spec.startingDeadlineSeconds).toBeGreaterThan(0);
        expect(spec.successfulJobsHistoryLimit).toBeGreaterThanOrEqual(1);
        expect(spec.failedJobsHistoryLimit).toBeGreaterThanOrEqual(1);
        const jobSpec = spec.jobTemplate.spec!;
        expect(jobSpec.backoffLimit).toBeDefined();
        // A run ends before the next one is due (every 5 minutes: 300 s).
        const next = new Cron(job.schedule, { timezone: job.timeZone, mode: "5-part" }).nextRuns(2);
        const periodSeconds = (next[1]!.getTime() - next[0]!.getTime()) / 1000;
        expect(jobSpec.activeDeadlineSeconds!).toBeLessThan(periodSeconds);
        expect(jobSpec.template.spec!.restartPolicy).toBe("Never");
      }
    }
  });

  it("runs the subscription jobs daily in Lagos, from provisioning, retried in place and alerted on a day plus a margin", () => {
    const expected = { "expiry-reminders": "0 2 * * *", "renewal-check": "0 3 * * *" } as const;
    for (const { name, objects } of renders) {
      for (const [job, schedule] of Object.entries(expected)) {
        const cronJob = cronJobs(objects).find((c) => jobNameOf(c) === job);
        expect(cronJob, `${name}: ${job}`).toBeDefined();
        const spec = cronJob!.spec!;
        expect(spec, `${name}: ${job}`).toMatchObject({ schedule, timeZone: "Africa/Lagos", concurrencyPolicy: "Forbid", successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 5 });
        // Late (a controller restart) but the same morning; a run is safe to repeat, so a failed pod is retried at once.
        expect(spec.startingDeadlineSeconds).toBe(3600);
        expect(spec.jobTemplate.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 3600 });
        const container = spec.jobTemplate.spec!.template.spec!.containers[0]!;
        expect(container.args).toContain(`services/provisioning/dist/jobs/${job}.js`);
        const owner = deployments(objects).find((d) => serviceOf(d) === "provisioning")!;
        const config = configMapOf(objects, owner).data!;
        // What the jobs call besides MongoDB and NATS: the catalogue (renewal prices) and fulfilment (unfinished renewals).
        expect(Object.keys(config)).toEqual(expect.arrayContaining(["NATS_URL", "CATALOGUE_URL", "FULFILMENT_URL"]));
      }
    }
  });

  it("alert on each job only after its period plus a margin", async () => {
    const production = renders[1]!;
    const rule = production.objects.find((o) => o.kind === "PrometheusRule")!;
    const rules = (rule.spec as { groups: Array<{ rules: Array<{ alert?: string; expr: string; labels?: Record<string, string> }> }> }).groups.flatMap((g) => g.rules);
    const values = parseYaml(await readFile(join(CHART_DIR, "values.yaml"), "utf8")) as { jobs: Record<string, { alertAfterSeconds: number }> };
    for (const job of ALL_JOBS) {
      const alert = rules.find((r) => r.alert === "T2MobileJobNotSucceeding" && r.labels?.job_name === job.name);
      expect(alert, job.name).toBeDefined();
      const next = new Cron(job.schedule, { timezone: job.timeZone, mode: "5-part" }).nextRuns(2);
      const periodSeconds = (next[1]!.getTime() - next[0]!.getTime()) / 1000;
      const threshold = values.jobs[job.name]!.alertAfterSeconds;
      expect(threshold, job.name).toBeGreaterThan(periodSeconds);
      expect(threshold, job.name).toBeLessThanOrEqual(periodSeconds * 1.5 + 1800);
      expect(alert!.expr).toContain(`> ${threshold}`);
    }
  });

  it("run the job's built command with its service's ConfigMap and secrets, hardened like the services", () => {
    for (const { name, objects } of renders) {
      for (const cronJob of cronJobs(objects)) {
        const job = ALL_JOBS.find((j) => j.name === jobNameOf(cronJob))!;
        const where = `${name}: ${job.name}`;
        const pod = cronJob.spec!.jobTemplate.spec!.template.spec!;
        expect(pod.containers).toHaveLength(1);
        const container = pod.containers[0]!;
        expect([...(container.command ?? []), ...(container.args ?? [])], where).toEqual(["node", "--import", "@t2m/platform/telemetry-register", jobEntry(job)]);
        // The entry is built from services/<service>/src/jobs/<name>.ts.
        expect(existsSync(join(REPO_ROOT, jobEntry(job).replace("/dist/", "/src/").replace(/\.js$/, ".ts"))), where).toBe(true);
        const owner = deployments(objects).find((d) => serviceOf(d) === job.service)!;
        expect(container.envFrom, where).toEqual(containerOf(owner).envFrom);
        expect(container.env, where).toEqual(containerOf(owner).env);
        expect(pod.securityContext, where).toEqual(owner.spec!.template.spec!.securityContext);
        expect(container.securityContext, where).toEqual(containerOf(owner).securityContext);
        expect(pod.automountServiceAccountToken, where).toBe(false);
        expect(container.resources?.requests?.memory, where).toBeDefined();
        expect(container.volumeMounts?.find((m) => m.mountPath === "/tmp"), where).toBeDefined();
        // Its pods are not the service's: no Service, PodDisruptionBudget or Deployment selects them.
        const labels = cronJob.spec!.jobTemplate.spec!.template.metadata!.labels!;
        for (const d of deployments(objects)) {
          expect(Object.entries(d.spec!.selector.matchLabels!).every(([k, v]) => labels[k] === v), where).toBe(false);
        }
      }
    }
  });
});

function configMapOf(objects: readonly K8sObject[], deployment: IDeployment): IConfigMap {
  const refs = containerOf(deployment).envFrom ?? [];
  expect(refs).toHaveLength(1);
  const config = ofKind<IConfigMap>(objects, "ConfigMap").find((c) => c.metadata!.name === refs[0]!.configMapRef?.name);
  expect(config, `ConfigMap of ${deployment.metadata!.name}`).toBeDefined();
  return config!;
}

describe("configuration and secrets", () => {
  it("each service's secretKeyRefs are exactly the secrets its config.ts reads, from existingSecret", async () => {
    for (const service of DEPLOYED_SERVICES) {
      const expected = [...requiredInProduction(service), ...(variablesRead(service).includes("MONGODB_URL") ? ["MONGODB_URL"] : [])];
      expect(expected.sort(), `services/${service}/src/config.ts`).toEqual([...EXPECTED_SECRETS[service]].sort());
    }
    for (const { name, objects, values } of renders) {
      for (const deployment of deployments(objects)) {
        const service = serviceOf(deployment);
        const env = containerOf(deployment).env ?? [];
        const fromSecrets = env.filter((e) => e.valueFrom?.secretKeyRef);
        const required = fromSecrets.filter((e) => !e.valueFrom!.secretKeyRef!.optional);
        const optional = fromSecrets.filter((e) => e.valueFrom!.secretKeyRef!.optional);
        expect(required.map((e) => e.name).sort(), `${name}: ${service}`).toEqual([...EXPECTED_SECRETS[service]].sort());
        expect(optional.map((e) => e.name).sort(), `${name}: ${service} (optional)`).toEqual([...OPTIONAL_SECRETS[service]].sort());
        for (const e of fromSecrets) {
          expect(e.valueFrom!.secretKeyRef, `${name}: ${service} ${e.name}`).toMatchObject({ name: values.existingSecret, key: secretKeyOf(service, e.name) });
        }
        for (const e of optional) expect(variablesRead(service), `${service} does not read ${e.name}`).toContain(e.name);
        // No secret as a literal value either.
        for (const e of env) if (SECRET_VARIABLES.includes(e.name as never)) expect(e.value, `${name}: ${service} ${e.name}`).toBeUndefined();
      }
    }
  });

  it("leaves the licence provisioner unset by default (production provisioning then refuses to start), and sets it when chosen", async () => {
    const provisioningData = (objects: readonly K8sObject[]) =>
      ofKind<IConfigMap>(objects, "ConfigMap").find((c) => c.metadata!.labels?.["app.kubernetes.io/component"] === "provisioning")!.data!;
    expect(provisioningData(renders[0]!.objects)).not.toHaveProperty("LICENCE_PROVISIONER");
    expect(provisioningData(await helmTemplate(helm, { set: ["licences.provisioner=sandbox"] }))).toMatchObject({ LICENCE_PROVISIONER: "sandbox" });
    // The manual queue: provisioning queues licences, fulfilment knows how long its orders wait.
    const manual = await helmTemplate(helm, { set: ["licences.provisioner=manual", "licences.manualPollSeconds=30", "licences.manualGiveUpHours=48"] });
    expect(provisioningData(manual)).toMatchObject({ LICENCE_PROVISIONER: "manual" });
    const fulfilmentData = ofKind<IConfigMap>(manual, "ConfigMap").find((c) => c.metadata!.labels?.["app.kubernetes.io/component"] === "fulfilment")!.data!;
    expect(fulfilmentData).toMatchObject({ MANUAL_LICENCE_POLL_SECONDS: "30", MANUAL_LICENCE_GIVE_UP_HOURS: "48" });
    expect(fulfilmentData).not.toHaveProperty("LICENCE_PROVISIONER");
  });

  it("ConfigMaps hold no secret: no secret names, no credentials, no sandbox secret values", async () => {
    const sandboxValues: string[] = Object.values(SandboxDefaults).flatMap((v) => (typeof v === "string" ? [v] : Object.values(v)));
    expect(sandboxValues.length).toBeGreaterThanOrEqual(6);
    for (const { name, objects } of renders) {
      for (const config of ofKind<IConfigMap>(objects, "ConfigMap")) {
        const where = `${name}: ConfigMap ${config.metadata!.name}`;
        for (const [key, value] of Object.entries(config.data ?? {})) {
          expect(SECRET_VARIABLES, where).not.toContain(key);
          expect(value, `${where} ${key}`).not.toMatch(/^mongodb(\+srv)?:\/\//);
          expect(value, `${where} ${key}`).not.toMatch(/:\/\/[^/@\s]+:[^/@\s]+@/);
          expect(value, `${where} ${key}`).not.toMatch(/whsec_/);
          for (const secret of sandboxValues) expect(value.includes(secret), `${where} ${key} holds a sandbox secret`).toBe(false);
        }
      }
    }
  });

  it("each service's ConfigMap sets only variables that service reads, with the right addresses", async () => {
    for (const { name, objects } of renders) {
      const services = ofKind<IService>(objects, "Service");
      for (const deployment of deployments(objects)) {
        const service = serviceOf(deployment);
        const read = variablesRead(service);
        const data = configMapOf(objects, deployment).data ?? {};
        const where = `${name}: ${service}`;
        for (const key of Object.keys(data)) {
          expect(key.startsWith("OTEL_") || read.includes(key), `${where}: ${key} is not read by services/${service}/src/config.ts`).toBe(true);
        }
        expect(data.NODE_ENV, where).toBe("production");
        expect(data.HOST, where).toBe("0.0.0.0");
        expect(data.PORT, where).toBe(String(SERVICE_PORTS[service]));
        // Every *_URL of another service points at that service's Service and port in this release.
        for (const [key, value] of Object.entries(data)) {
          const target = /^(CATALOGUE|FULFILMENT|PROVISIONING)_URL$/.exec(key)?.[1]?.toLowerCase();
          if (!target) continue;
          const url = new URL(value);
          const svc = services.find((s) => s.metadata!.name === url.hostname);
          expect(svc?.metadata?.labels?.["app.kubernetes.io/component"], `${where}: ${key}=${value}`).toBe(target);
          expect(Number(url.port), `${where}: ${key}`).toBe(SERVICE_PORTS[target as DeployedService]);
        }
      }
      // The variables without which a service would talk to 127.0.0.1.
      const dataOf = (s: DeployedService) => configMapOf(objects, deployments(objects).find((d) => serviceOf(d) === s)!).data!;
      expect(Object.keys(dataOf("gateway"))).toEqual(expect.arrayContaining(["CATALOGUE_URL", "FULFILMENT_URL", "NATS_URL"]));
      expect(Object.keys(dataOf("fulfilment"))).toEqual(expect.arrayContaining(["CATALOGUE_URL", "PROVISIONING_URL", "NATS_URL", "NATS_ACK_WAIT_MS"]));
      expect(Object.keys(dataOf("notification"))).toEqual(expect.arrayContaining(["NATS_URL", "NATS_ACK_WAIT_MS", "WEBHOOK_RETRY_DELAYS_MS"]));
      expect(Object.keys(dataOf("provisioning"))).toEqual(expect.arrayContaining(["ZOHO_ACCOUNTS_URL", "ZOHO_API_URL"]));
      // The shared Zoho call budget lives in NATS KV; its limits come from values.zoho.budget.
      expect(dataOf("provisioning")).toMatchObject({ ZOHO_BUDGET_CALLS_PER_MINUTE: "100", ZOHO_BUDGET_MAX_CONCURRENT: "10", ZOHO_BUDGET_MAX_WAIT_MS: "20000" });
      expect(Object.keys(dataOf("provisioning"))).toContain("NATS_URL");
    }
  });

  it("rolls the pods when their ConfigMap changes", async () => {
    const [before] = renders;
    const after = await helmTemplate(helm, { namespace: "t2mobile", set: ["logLevel=debug"] });
    const checksum = (objects: readonly K8sObject[], service: string) =>
      deployments(objects).find((d) => serviceOf(d) === service)!.spec!.template.metadata!.annotations!["checksum/config"];
    for (const service of DEPLOYED_SERVICES) {
      expect(checksum(before!.objects, service)).toMatch(/^[0-9a-f]{64}$/);
      expect(checksum(after, service)).not.toBe(checksum(before!.objects, service));
    }
  });
});

describe("observability", () => {
  const dashboardFiles = async () => (await readdir(join(CHART_DIR, "dashboards"))).filter((f) => f.endsWith(".json"));

  const checkExpression = (where: string, expr: string) => {
    const names = promqlMetricNames(expr);
    expect(names.length, `${where}: no metric in ${expr}`).toBeGreaterThan(0);
    for (const metric of names) {
      expect(metric === "up" || series.has(metric), `${where}: ${metric} is not a metric the code defines (${expr})`).toBe(true);
    }
    const allSources = [...sources.values()].join("\n");
    for (const { label, value } of promqlLabelValues(expr)) {
      // A label value the code never produces would make the query silently empty.
      expect(allSources.includes(`"${value}"`) || allSources.includes(`'${value}'`), `${where}: ${label}="${value}" never appears in services/*/src`).toBe(true);
    }
    return names;
  };

  it("a ConfigMap labelled grafana_dashboard: \"1\" per dashboards/*.json, holding that valid JSON", async () => {
    const files = await dashboardFiles();
    expect(files).toContain("t2mobile-overview.json");
    for (const { name, objects } of renders) {
      const dashboards = ofKind<IConfigMap>(objects, "ConfigMap").filter((c) => c.metadata!.labels?.grafana_dashboard !== undefined);
      expect(dashboards, name).toHaveLength(files.length);
      for (const file of files) {
        const config = dashboards.find((c) => c.data?.[file] !== undefined);
        expect(config, `${name}: ${file}`).toBeDefined();
        expect(config!.metadata!.labels!.grafana_dashboard).toBe("1");
        const rendered: unknown = JSON.parse(config!.data![file]!);
        expect(rendered).toEqual(JSON.parse(await readFile(join(CHART_DIR, "dashboards", file), "utf8")));
      }
    }
  });

  it("the overview dashboard is built only on metrics the code defines, and covers them all", async () => {
    interface Panel { type: string; title?: string; datasource?: { type?: string; uid?: string }; targets?: Array<{ expr?: string }>; panels?: Panel[] }
    const dashboard = JSON.parse(await readFile(join(CHART_DIR, "dashboards/t2mobile-overview.json"), "utf8")) as {
      uid: string;
      title: string;
      templating: { list: Array<{ name: string; type: string; query: unknown }> };
      panels: Panel[];
    };
    expect(dashboard.uid).toBeTruthy();
    const datasource = dashboard.templating.list.find((v) => v.type === "datasource");
    expect(datasource).toMatchObject({ name: "datasource", query: "prometheus" });
    const used = new Set<string>();
    for (const variable of dashboard.templating.list.filter((v) => v.type === "query")) {
      const query = typeof variable.query === "string" ? variable.query : (variable.query as { query: string }).query;
      const metric = /label_values\(\s*([a-zA-Z_:][\w:]*)/.exec(query)?.[1];
      expect(metric && series.has(metric), `variable ${variable.name}: ${query}`).toBe(true);
    }
    const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== "row");
    expect(panels.length).toBeGreaterThanOrEqual(10);
    for (const panel of panels) {
      expect(panel.datasource, `panel ${panel.title}`).toEqual({ type: "prometheus", uid: "${datasource}" });
      expect(panel.targets?.length, `panel ${panel.title}`).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        for (const metric of checkExpression(`panel "${panel.title}"`, target.expr ?? "")) used.add(series.get(metric) ?? metric);
      }
    }
    // Every t2m_ metric the services define has a panel, and so do the processes' CPU and memory.
    const t2m = [...metrics.keys()].filter((m) => m.startsWith("t2m_"));
    expect(t2m.length).toBeGreaterThanOrEqual(13);
    for (const metric of [...t2m, "process_cpu_seconds_total", "process_resident_memory_bytes"]) {
      expect(used.has(metric), `no panel uses ${metric}`).toBe(true);
    }
  });

  it("the PrometheusRule alerts only on metrics the code defines", () => {
    const production = renders[1]!;
    const [rule, ...more] = production.objects.filter((o) => o.kind === "PrometheusRule");
    expect(more).toHaveLength(0);
    expect(rule).toBeDefined();
    expect(rule!.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(rule!.metadata.labels).toMatchObject({ release: "kube-prometheus-stack" });
    const spec = rule!.spec as { groups: Array<{ name: string; rules: Array<{ alert?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }> }> };
    const rules = spec.groups.flatMap((g) => {
      expect(g.name).toBeTruthy();
      return g.rules;
    });
    const alerts = new Map<string, string[]>();
    for (const r of rules) {
      expect(r.alert, JSON.stringify(r)).toMatch(/^T2Mobile[A-Za-z]+$/);
      expect(["critical", "warning"]).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      if (r.for !== undefined) expect(r.for).toMatch(/^\d+[smh]$/);
      expect(r.expr, r.alert).toContain('namespace="t2mobile-prod"');
      checkExpression(`alert ${r.alert}`, r.expr);
      alerts.set(r.alert!, [...(alerts.get(r.alert!) ?? []), r.expr]);
    }
    expect(alerts.get("T2MobileWebhookDead")?.[0]).toMatch(/t2m_webhook_attempts_total\{[^}]*result="dead"/);
    // Each webhook metric the issue names has its alert.
    expect(alerts.get("T2MobileWebhookDeadMessages")?.[0]).toContain("t2m_webhook_dead_messages");
    expect(alerts.get("T2MobileWebhookUndeliveredOld")?.[0]).toContain("t2m_webhook_oldest_undelivered_age_seconds");
    expect(alerts.get("T2MobileWebhookEndpointDisabled")?.[0]).toContain("t2m_webhook_endpoint_disabled");
    expect(alerts.get("T2MobileWebhookAttemptsFailing")?.[0]).toContain("t2m_webhook_attempts_total");
    // One "not succeeding" alert per job, on its last success and its period plus a margin.
    const jobAlerts = alerts.get("T2MobileJobNotSucceeding") ?? [];
    expect(jobAlerts).toHaveLength(ALL_JOBS.length);
    for (const job of ALL_JOBS) expect(jobAlerts.some((e) => e.includes(`job_name="${job.name}"`) && e.includes("t2m_job_last_success_timestamp_seconds"))).toBe(true);
    expect(alerts.get("T2MobileOrdersFailing")?.[0]).toMatch(/t2m_orders_finished_total\{[^}]*status="FAILED"/);
    expect(alerts.get("T2MobileFulfilmentSlow")?.[0]).toMatch(/histogram_quantile\(0\.95,.*t2m_order_fulfilment_seconds_bucket.*> 600/s);
    expect(alerts.get("T2MobileIntegrityError")?.[0]).toMatch(/increase\(t2m_integrity_errors_total\{[^}]*\}\[15m\]\)\) > 0/);
    // One "down" alert per deployed service, on `up` of that Deployment's pods.
    const down = alerts.get("T2MobileServiceDown") ?? [];
    expect(down).toHaveLength(DEPLOYED_SERVICES.length);
    for (const deployment of deployments(production.objects)) {
      expect(down.some((e) => e.startsWith("absent(up{") && e.includes(`pod=~"${deployment.metadata!.name}-`)), deployment.metadata!.name).toBe(true);
    }
  });

  it("the ServiceMonitor scrapes every Service's /metrics on its http port", () => {
    const production = renders[1]!;
    const monitors = production.objects.filter((o) => o.kind === "ServiceMonitor");
    expect(monitors).toHaveLength(1);
    const monitor = monitors[0]!;
    expect(monitor.apiVersion).toBe("monitoring.coreos.com/v1");
    const spec = monitor.spec as { selector: { matchLabels: Record<string, string> }; namespaceSelector: { matchNames: string[] }; endpoints: Array<{ port: string; path: string; honorLabels?: boolean }> };
    expect(spec.namespaceSelector.matchNames).toEqual(["t2mobile-prod"]);
    expect(spec.endpoints).toEqual([expect.objectContaining({ port: "http", path: "/metrics", honorLabels: true })]);
    const selected = ofKind<IService>(production.objects, "Service").filter((s) =>
      Object.entries(spec.selector.matchLabels).every(([k, v]) => s.metadata!.labels?.[k] === v),
    );
    expect(selected.map((s) => s.metadata!.labels!["app.kubernetes.io/component"]).sort()).toEqual([...DEPLOYED_SERVICES].sort());
    for (const s of selected) expect(s.spec!.ports!.map((p) => p.name)).toContain("http");
    // Scraped by the ServiceMonitor only: no scrape annotations as well.
    for (const deployment of deployments(production.objects)) {
      expect(deployment.spec!.template.metadata!.annotations?.["prometheus.io/scrape"]).toBeUndefined();
    }
  });

  it("the Ingress sends T2Mobile's API to the gateway and nothing else", () => {
    const production = renders[1]!;
    const ingresses = ofKind<IIngress>(production.objects, "Ingress");
    expect(ingresses).toHaveLength(1);
    const paths = ingresses[0]!.spec!.rules!.flatMap((r) => r.http!.paths);
    const gateway = ofKind<IService>(production.objects, "Service").find((s) => s.metadata!.labels!["app.kubernetes.io/component"] === "gateway")!;
    expect(paths).toEqual([
      expect.objectContaining({ path: "/t2mobile", pathType: "Prefix", backend: { service: { name: gateway.metadata!.name, port: { name: "http" } } } }),
    ]);
  });
});

describe("the operator Ingress", () => {
  const isOperatorIngress = (i: IIngress) => i.metadata!.labels!["app.kubernetes.io/component"] === "operator";
  const controller = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-internal" } } };
  const enabled = [
    "operatorIngress.enabled=true",
    "operatorIngress.host=ops.t2m.example",
    "operatorIngress.className=internal",
    "operatorIngress.tls[0].secretName=ops-tls",
    "operatorIngress.from[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=ingress-internal",
  ];

  it("is off by default, and then no NetworkPolicy lets an ingress controller reach the internal services", () => {
    for (const { name, objects } of renders) {
      expect(ofKind<IIngress>(objects, "Ingress").filter(isOperatorIngress), name).toEqual([]);
      const peers = ofKind<INetworkPolicy>(objects, "NetworkPolicy").flatMap((p) => (p.spec!.ingress ?? []).flatMap((r) => r.from ?? []));
      expect(peers.filter((p) => JSON.stringify(p).includes("ingress-nginx")), name).toEqual([]);
    }
  });

  it("routes each Protobuf service's path prefix to the process that serves it (services/topology's RpcServices), on its host with TLS", async () => {
    const objects = await helmTemplate(helm, { set: enabled });
    for (const object of objects) validateObject(object);
    const [ingress] = ofKind<IIngress>(objects, "Ingress").filter(isOperatorIngress);
    expect(ingress?.spec).toMatchObject({ ingressClassName: "internal", tls: [{ secretName: "ops-tls" }] });
    expect(ingress!.spec!.rules!.map((r) => r.host)).toEqual(["ops.t2m.example"]);
    const serviceName = (component: string) => ofKind<IService>(objects, "Service").find((s) => s.metadata!.labels!["app.kubernetes.io/component"] === component)!.metadata!.name;
    const routes = ingress!.spec!.rules![0]!.http!.paths.map((p) => [p.path, p.pathType, p.backend.service!.name, p.backend.service!.port!.name]);
    const expected = Object.entries(RpcServices).flatMap(([server, services]) => services.map((s) => [`/${s.typeName}`, "Prefix", serviceName(server), "http"]));
    expect(routes.sort()).toEqual(expected.sort());
  });

  it("lets its ingress controller reach exactly the services it routes to", async () => {
    const objects = await helmTemplate(helm, { set: enabled });
    for (const policy of ofKind<INetworkPolicy>(objects, "NetworkPolicy")) {
      const component = policy.spec!.podSelector?.matchLabels?.["app.kubernetes.io/component"];
      if (!component) continue;
      const fromController = (policy.spec!.ingress ?? []).filter((r) => JSON.stringify(r.from) === JSON.stringify([controller]));
      expect(fromController.length, component).toBe(component in RpcServices ? 1 : 0);
      for (const rule of fromController) expect(rule.ports, component).toEqual([{ port: "http", protocol: "TCP" }]);
    }
  });

  it("refuses to open the services to any address: with NetworkPolicies it needs its controller's peers", async () => {
    const result = await runHelm(helm, ["template", "t2m", CHART_DIR, "--set", "operatorIngress.enabled=true", "--set", "operatorIngress.from=null"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/operatorIngress.from/);
  });
});

describe("network policies", () => {
  const policies = (objects: readonly K8sObject[]) => ofKind<INetworkPolicy>(objects, "NetworkPolicy");
  const componentOf = (p: INetworkPolicy) => p.spec!.podSelector?.matchLabels?.["app.kubernetes.io/component"];
  const peersOf = (rules: readonly { from?: INetworkPolicyPeer[] }[] | undefined) => (rules ?? []).flatMap((r) => r.from ?? []);
  const componentsIn = (peers: readonly INetworkPolicyPeer[]) =>
    peers.flatMap((p) => (p.podSelector?.matchLabels?.["app.kubernetes.io/component"] ? [p.podSelector.matchLabels["app.kubernetes.io/component"]] : []));

  it("deny everything of the release by default, and give every service and job a policy of its own", () => {
    for (const { name, objects } of renders) {
      const all = policies(objects);
      const deny = all.find((p) => componentOf(p) === undefined);
      expect(deny?.spec, name).toMatchObject({ policyTypes: ["Ingress", "Egress"] });
      expect(deny?.spec?.ingress, name).toBeUndefined();
      expect(deny?.spec?.egress, name).toBeUndefined();
      const components = all.map(componentOf).filter(Boolean).sort();
      expect(components, name).toEqual([...DEPLOYED_SERVICES, ...ALL_JOBS.map((j) => `job-${j.name}`)].sort());
      for (const policy of all) expect(policy.spec!.policyTypes, `${name}: ${policy.metadata!.name}`).toEqual(["Ingress", "Egress"]);
    }
  });

  it("let only the gateway take traffic from outside; each other service only from its callers (the RPC access policy's graph)", () => {
    for (const { name, objects } of renders) {
      for (const policy of policies(objects)) {
        const component = componentOf(policy);
        if (!component) continue;
        const where = `${name}: ${component}`;
        const [callers, metrics] = [policy.spec!.ingress?.[0], policy.spec!.ingress?.slice(1) ?? []];
        // Prometheus may scrape every pod: a namespace selector only, never pods of the release.
        for (const rule of metrics) expect(componentsIn(rule.from ?? []), where).toEqual([]);
        if (component === "gateway") {
          expect(callers?.ports, where).toEqual([{ port: "http", protocol: "TCP" }]);
          continue;
        }
        if (component.startsWith("job-")) {
          expect(policy.spec!.ingress, where).toEqual([]);
          continue;
        }
        const service = component as keyof typeof RpcCallersOf;
        const expected = (RpcCallersOf[service] as readonly string[]).filter((c) => c !== "operator").sort();
        // Every peer of a service's ingress is one of its callers' pods (or, with operatorsFrom set, the operators').
        const fromPods = componentsIn(peersOf(expected.length > 0 ? [callers!] : []));
        expect(fromPods.sort(), where).toEqual(expected);
        if (expected.length === 0) expect(peersOf(policy.spec!.ingress).filter((p) => p.podSelector), where).toEqual([]);
      }
    }
  });

  it("allow egress only to DNS, the services a pod calls, NATS, MongoDB, Zoho (provisioning) and the webhook hosts (notification)", () => {
    for (const { name, objects } of renders) {
      for (const policy of policies(objects)) {
        const component = componentOf(policy);
        if (!component) continue;
        const where = `${name}: ${component}`;
        const ports = (policy.spec!.egress ?? []).map((rule) => rule.ports?.map((p) => p.port) ?? []);
        // No rule opens every port.
        for (const p of ports) expect(p.length, where).toBeGreaterThan(0);
        const flat = ports.flat().sort();
        const service = component.startsWith("job-") ? ALL_JOBS.find((j) => `job-${j.name}` === component)!.service : component;
        const expected: Record<string, Array<number | string>> = {
          gateway: [53, 53, 4101, 4102, 4103, 4222, 27017],
          catalogue: [53, 53],
          fulfilment: [53, 53, 4101, 4103, 4222, 27017],
          // Its subscription jobs call the catalogue (renewal prices) and fulfilment (renewal orders).
          provisioning: [53, 53, 443, 4101, 4102, 4222, 27017],
          notification: [53, 53, 443, 4102, 4103, 4222, 27017],
        };
        expect(flat, where).toEqual(expected[service]!.sort());
        // Zoho and the webhook hosts are the internet on 443, never the cluster's private ranges.
        for (const rule of policy.spec!.egress ?? []) {
          if (rule.ports?.some((p) => p.port === 443)) expect(rule.to?.[0]?.ipBlock?.except, where).toEqual(expect.arrayContaining(["10.0.0.0/8"]));
        }
      }
    }
  });

  it("follow the RPC access policy: each service's `uses` names exactly the services it may call", async () => {
    const values = parseYaml(await readFile(join(CHART_DIR, "values.yaml"), "utf8")) as { services: Record<string, { uses: string[] }> };
    const served = Object.keys(RpcCallersOf);
    for (const caller of ["gateway", "fulfilment", "provisioning", "notification"] as const) {
      const uses = values.services[caller]!.uses.filter((u) => served.includes(u)).sort();
      expect(uses, caller).toEqual(served.filter((s) => (RpcCallersOf[s as keyof typeof RpcCallersOf] as readonly string[]).includes(caller)).sort());
    }
  });

  it("are off when networkPolicy.enabled is false", async () => {
    expect(policies(await helmTemplate(helm, { set: ["networkPolicy.enabled=false"] }))).toEqual([]);
  });
});

describe("autoscaling", () => {
  const hpas = (objects: readonly K8sObject[]) => ofKind<IHorizontalPodAutoscaler>(objects, "HorizontalPodAutoscaler");

  it("scales the gateway and the workers (fulfilment, notification) on CPU; their Deployments leave replicas to the HPA", () => {
    for (const { name, objects } of renders) {
      const found = hpas(objects);
      expect(found.map((h) => h.metadata!.labels!["app.kubernetes.io/component"]).sort(), name).toEqual(["fulfilment", "gateway", "notification"]);
      for (const hpa of found) {
        const deployment = deployments(objects).find((d) => d.metadata!.name === hpa.spec!.scaleTargetRef.name);
        expect(deployment, `${name}: ${hpa.metadata!.name}`).toBeDefined();
        expect(hpa.spec!.scaleTargetRef).toMatchObject({ apiVersion: "apps/v1", kind: "Deployment" });
        expect(deployment!.spec!.replicas, `${name}: ${hpa.metadata!.name}`).toBeUndefined();
        expect(hpa.spec!.minReplicas!).toBeGreaterThanOrEqual(2);
        expect(hpa.spec!.maxReplicas).toBeGreaterThanOrEqual(hpa.spec!.minReplicas!);
        expect(hpa.spec!.metrics?.[0]?.resource).toMatchObject({ name: "cpu", target: { type: "Utilization" } });
        // CPU utilisation needs a CPU request to be measured against.
        expect(containerOf(deployment!).resources?.requests?.cpu, `${name}: ${hpa.metadata!.name}`).toBeDefined();
      }
      for (const deployment of deployments(objects)) {
        if (!found.some((h) => h.spec!.scaleTargetRef.name === deployment.metadata!.name)) expect(deployment.spec!.replicas, name).toBeGreaterThan(0);
      }
    }
  });

  it("refuses maxReplicas below minReplicas", async () => {
    const result = await runHelm(helm, ["template", "t2m", CHART_DIR, "--set", "services.gateway.autoscaling.minReplicas=5", "--set", "services.gateway.autoscaling.maxReplicas=3"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/maxReplicas/);
  });
});

describe("values.schema.json", () => {
  it("accepts the chart's defaults, the production fixture and every overlay's values", async () => {
    const schema = JSON.parse(await readFile(join(CHART_DIR, "values.schema.json"), "utf8")) as object;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const defaults = parseYaml(await readFile(join(CHART_DIR, "values.yaml"), "utf8")) as Record<string, unknown>;
    const merge = (base: unknown, over: unknown): unknown =>
      over && typeof over === "object" && !Array.isArray(over) && base && typeof base === "object" && !Array.isArray(base)
        ? Object.fromEntries([...new Set([...Object.keys(base), ...Object.keys(over)])].map((k) => [k, k in over ? merge((base as Record<string, unknown>)[k], (over as Record<string, unknown>)[k]) : (base as Record<string, unknown>)[k]]))
        : over;
    const files = [
      [PRODUCTION_VALUES],
      [join(REPO_ROOT, "k8s/base/values.yaml")],
      [join(REPO_ROOT, "k8s/base/values.yaml"), join(REPO_ROOT, "k8s/overlays/staging/values.yaml")],
      [join(REPO_ROOT, "k8s/base/values.yaml"), join(REPO_ROOT, "k8s/overlays/production/values.yaml")],
    ];
    expect(validate(defaults), JSON.stringify(validate.errors)).toBe(true);
    for (const chain of files) {
      let values: unknown = defaults;
      for (const file of chain) values = merge(values, parseYaml(await readFile(file, "utf8")));
      expect(validate(values), `${chain.join(" + ")}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });
});

describe("kustomize overlays (k8s/)", () => {
  interface HelmChartEntry { name: string; releaseName: string; namespace: string; valuesFile?: string; additionalValuesFiles?: string[] }
  interface Kustomization { namespace?: string; helmGlobals?: { chartHome?: string }; helmCharts?: HelmChartEntry[]; images?: Array<{ name: string; newTag?: string }> }

  const expectations = [
    { dir: "k8s/base", secret: "t2mobile-fulfilment-secrets", gatewayReplicas: 2 },
    { dir: "k8s/overlays/staging", secret: "t2mobile-staging-secrets", gatewayReplicas: 1 },
    { dir: "k8s/overlays/production", secret: "t2mobile-production-secrets", gatewayReplicas: 3 },
  ];

  it.each(expectations)("$dir inflates this chart with values that render valid, hardened objects", async ({ dir, secret, gatewayReplicas }) => {
    const root = join(REPO_ROOT, dir);
    const kustomization = parseYaml(await readFile(join(root, "kustomization.yaml"), "utf8")) as Kustomization;
    expect(kustomization.helmCharts).toHaveLength(1);
    const chart = kustomization.helmCharts![0]!;
    // The chart kustomize would load is this repository's chart.
    expect(resolve(root, kustomization.helmGlobals?.chartHome ?? "charts", chart.name)).toBe(CHART_DIR);
    if (kustomization.namespace !== undefined) expect(chart.namespace).toBe(kustomization.namespace);
    // Render as kustomize does: helm template <release> <chart> --namespace <ns> -f valuesFile -f additionalValuesFiles…
    const valuesFiles = [chart.valuesFile, ...(chart.additionalValuesFiles ?? [])].filter((f): f is string => f !== undefined).map((f) => join(root, f));
    expect(valuesFiles.length).toBeGreaterThan(0);
    const lint = await runHelm(helm, ["lint", "--strict", CHART_DIR, ...valuesFiles.flatMap((f) => ["--values", f])]);
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    const objects = await helmTemplate(helm, { release: chart.releaseName, namespace: chart.namespace, valuesFiles });
    for (const object of objects) validateObject(object);
    for (const image of kustomization.images ?? []) {
      // `images:` must name the image the chart renders, or it changes nothing.
      for (const deployment of deployments(objects)) expect(containerOf(deployment).image!.split(":")[0]).toBe(image.name);
    }
    for (const deployment of deployments(objects)) {
      const service = serviceOf(deployment);
      const refs = (containerOf(deployment).env ?? []).filter((e) => e.valueFrom?.secretKeyRef && !e.valueFrom.secretKeyRef.optional).map((e) => e.valueFrom!.secretKeyRef!);
      expect(refs.map((r) => r.key).sort(), `${dir}: ${service}`).toEqual(EXPECTED_SECRETS[service].map((v) => secretKeyOf(service, v)).sort());
      for (const ref of refs) expect(ref.name, `${dir}: ${service}`).toBe(secret);
      expect(containerOf(deployment).securityContext?.readOnlyRootFilesystem).toBe(true);
      if (service === "gateway") {
        const hpa = ofKind<IHorizontalPodAutoscaler>(objects, "HorizontalPodAutoscaler").find((h) => h.spec!.scaleTargetRef.name === deployment.metadata!.name);
        expect(hpa?.spec?.minReplicas ?? deployment.spec!.replicas, dir).toBe(gatewayReplicas);
      }
    }
  });
});

// The alerts, proven: `promtool test rules` runs the unit tests in
// alerts/rules.test.yml against the PrometheusRule the chart renders, every
// alert has a test that fires it, and every alert's runbook_url points to a
// section of docs/runbooks.md. promtool comes from Debian's `prometheus`
// package (.ci/run installs it).
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureHelmBinary, REPO_ROOT } from "@t2m/devstack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { findExecutableOnPath, helmTemplate, ofKind } from "./support.js";

interface Rule {
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Group {
  name: string;
  rules: Rule[];
}

const TESTS = join(REPO_ROOT, "test/deploy/alerts/rules.test.yml");
const RUNBOOKS = join(REPO_ROOT, "docs/runbooks.md");

let promtool: string;
let dir: string;
let groups: Group[];

export function run(command: string, args: readonly string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { cwd, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(err);
      resolve({ code: err ? Number(err.code) : 0, output: stdout + stderr });
    });
  });
}

beforeAll(async () => {
  const found = findExecutableOnPath("promtool");
  if (!found) throw new Error("promtool is missing: apt-get install -y --no-install-recommends prometheus (.ci/run does)");
  promtool = found;
  const helm = (await ensureHelmBinary()).path;
  const objects = await helmTemplate(helm, { set: ["monitoring.prometheusRule.enabled=true"] });
  const [rule] = ofKind<{ spec: { groups: Group[] } }>(objects, "PrometheusRule");
  groups = rule!.spec.groups;
  dir = await mkdtemp(join(tmpdir(), "t2m-alerts-"));
}, 10 * 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const alerts = () => groups.flatMap((g) => g.rules).filter((r): r is Rule & { alert: string } => r.alert !== undefined);

describe("alerting rules", () => {
  it("pass promtool check rules as the chart renders them", async () => {
    await writeFile(join(dir, "rules-full.yml"), toYaml({ groups }));
    const check = await run(promtool, ["check", "rules", "rules-full.yml"], dir);
    expect(check.code, check.output).toBe(0);
  });

  it("pass their promtool unit tests, and every alert has a test that fires it", async () => {
    // Descriptions are long prose (checked above); the tests compare summary and runbook_url.
    const compared = groups.map((g) => ({
      ...g,
      rules: g.rules.map((r) => (r.annotations ? { ...r, annotations: Object.fromEntries(Object.entries(r.annotations).filter(([k]) => k !== "description")) } : r)),
    }));
    await writeFile(join(dir, "rules.yml"), toYaml({ groups: compared }));
    await copyFile(TESTS, join(dir, "rules.test.yml"));
    const result = await run(promtool, ["test", "rules", "rules.test.yml"], dir);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain("SUCCESS");

    const tests = parseYaml(await readFile(TESTS, "utf8")) as { tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }> };
    const fired = new Set(tests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    for (const name of new Set(alerts().map((a) => a.alert))) expect(fired, `no test fires ${name}`).toContain(name);
  });

  it("each carry a severity and a runbook_url pointing to their own section of docs/runbooks.md", async () => {
    const runbooks = await readFile(RUNBOOKS, "utf8");
    const sections = new Set([...runbooks.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-")));
    for (const rule of alerts()) {
      expect(["critical", "warning"], rule.alert).toContain(rule.labels?.severity);
      const url = rule.annotations?.runbook_url ?? "";
      expect(url, rule.alert).toMatch(/^https?:\/\/.+\/docs\/runbooks\.md#[a-z0-9-]+$/);
      const anchor = url.split("#")[1]!;
      expect(anchor, rule.alert).toBe(rule.alert.toLowerCase());
      expect(sections, `docs/runbooks.md has no section for ${rule.alert}`).toContain(anchor);
    }
    // And no section is left for an alert that no longer exists.
    const names = new Set(alerts().map((a) => a.alert.toLowerCase()));
    for (const section of sections) expect(names, `docs/runbooks.md: section ${section} has no alert`).toContain(section);
  });
});

import { createLogger } from "@t2m/platform";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createProvisioningMetrics, refreshLicenceQueueMetrics } from "./metrics.js";

const value = async (registry: Registry, name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value;

describe("the manual licence queue's gauges", () => {
  it("exist at 0 from the start (the sandbox provisioner never queues), then follow the waiting tasks", async () => {
    const registry = new Registry();
    const metrics = createProvisioningMetrics(registry);
    expect(await value(registry, "t2m_licence_tasks_waiting")).toBe(0);
    expect(await value(registry, "t2m_licence_task_oldest_waiting_age_seconds")).toBe(0);
    expect((await registry.getSingleMetric("t2m_licence_tasks_finished_total")!.get()).values.map((v) => v.labels)).toEqual([
      { state: "COMPLETED", by: "operator" },
      { state: "FAILED", by: "operator" },
      { state: "FAILED", by: "order" },
    ]);

    let waiting: Date[] = [];
    const refresher = refreshLicenceQueueMetrics({ metrics, waitingSince: async () => waiting, logger: createLogger("test", "silent"), intervalMs: 60_000 });
    try {
      waiting = [new Date(Date.now() - 3_600_000), new Date(Date.now() - 60_000)];
      await refresher.refresh();
      expect(await value(registry, "t2m_licence_tasks_waiting")).toBe(2);
      expect(await value(registry, "t2m_licence_task_oldest_waiting_age_seconds")).toBeGreaterThanOrEqual(3_600);
      waiting = [];
      await refresher.refresh();
      expect(await value(registry, "t2m_licence_task_oldest_waiting_age_seconds")).toBe(0);
    } finally {
      refresher.stop();
    }
  });
});

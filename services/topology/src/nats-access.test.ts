import { natsAuthorizationConfig, natsPermissions } from "@t2m/platform";
import { describe, expect, it } from "vitest";
import { OrderEvents } from "./events.js";
import { NatsUsers } from "./nats-access.js";

describe("each service's NATS permissions", () => {
  it("let only fulfilment publish order events", () => {
    const subjects = Object.values(OrderEvents).map((e) => e.subject);
    for (const [service, needs] of Object.entries(NatsUsers)) {
      const publish = natsPermissions(needs).publish;
      for (const subject of subjects) expect(publish.includes(subject), `${service} ${subject}`).toBe(service === "fulfilment");
      // Nothing open-ended on the bus: no bare wildcard, no other service's inbox.
      expect(publish.some((s) => s === ">" || s.startsWith("orders.>") || s === "$JS.API.>"), service).toBe(false);
      expect(natsPermissions(needs).subscribe).toEqual([`_INBOX_${service}.>`]);
    }
  });

  it("give each consumer's API and acks only to its own service", () => {
    const notification = natsPermissions(NatsUsers.notification).publish.join(" ");
    expect(notification).toContain("$JS.API.CONSUMER.MSG.NEXT.ORDERS.notification-order-outcome");
    expect(notification).not.toContain("fulfilment-order-submitted");
    expect(natsPermissions(NatsUsers.provisioning).publish).toContain("$KV.zoho_budget.>");
    // The gateway: its rate-limit bucket, and no stream.
    expect(natsPermissions(NatsUsers.gateway).publish).toContain("$KV.gateway_rate_limits.>");
    expect(natsPermissions(NatsUsers.gateway).publish.join(" ")).not.toMatch(/ORDERS|SUBSCRIPTIONS|zoho_budget/);
  });

  it("render as a nats-server authorization block, passwords from the environment when asked", () => {
    const text = natsAuthorizationConfig([{ user: "gateway", password: "$NATS_PASSWORD_GATEWAY", permissions: natsPermissions(NatsUsers.gateway) }]);
    expect(text).toContain("password: $NATS_PASSWORD_GATEWAY");
    expect(text).toContain('"$KV.gateway_rate_limits.>"');
    expect(natsAuthorizationConfig([{ user: "u", password: "p w", permissions: { publish: [], subscribe: [] } }])).toContain('password: "p w"');
  });
});

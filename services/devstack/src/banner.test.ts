import { describe, expect, it } from "vitest";
import { renderBanner, type BannerInfo } from "./banner.js";
import { DEFAULT_SERVICE_PORTS } from "./config.js";
import { SERVICE_NAMES } from "./processes.js";

const info: BannerInfo = {
  urls: Object.fromEntries(SERVICE_NAMES.map((n) => [n, `http://127.0.0.1:${DEFAULT_SERVICE_PORTS[n]}`])) as BannerInfo["urls"],
  nats: { url: "nats://127.0.0.1:4222", note: "reused" },
  mongodb: { url: "mongodb://127.0.0.1:27017/t2mobile", note: "FerretDB" },
  sandboxApiKey: "t2m_sandbox_key_0123456789abcdef",
  webhookUrl: "http://127.0.0.1:4106/webhooks/t2mobile",
  webhooksToInbox: true,
  orderId: "T2M-DEMO-ABC123",
  idempotencyKey: "demo-abc123-x",
};

describe("renderBanner", () => {
  it("lists every URL and gives copy-paste curl examples with the sandbox key", () => {
    const text = renderBanner(info);
    for (const port of Object.values(DEFAULT_SERVICE_PORTS)) expect(text).toContain(`http://127.0.0.1:${port}`);
    expect(text).toContain('curl -s http://127.0.0.1:4000/t2mobile/products -H "Authorization: Bearer t2m_sandbox_key_0123456789abcdef"');
    expect(text).toContain('-H "Idempotency-Key: demo-abc123-x"');
    expect(text).toContain('"orderId":"T2M-DEMO-ABC123"');
    expect(text).toContain("curl -s http://127.0.0.1:4000/t2mobile/orders/T2M-DEMO-ABC123");
    expect(text).toContain("/__inbox/messages?orderId=T2M-DEMO-ABC123");
    expect(text).toContain("npx t2m orders get T2M-DEMO-ABC123");
    expect(text).not.toContain("\u001b[");
  });

  it("never prints a key the user set, and says where webhooks go when it is not the inbox", () => {
    const text = renderBanner({ ...info, sandboxApiKey: undefined, webhooksToInbox: false, webhookUrl: "(your T2MOBILE_WEBHOOK_URL)" });
    expect(text).toContain("(from T2MOBILE_API_KEY)");
    expect(text).toContain('"Authorization: Bearer $T2MOBILE_API_KEY"');
    expect(text).not.toContain("t2m_sandbox_key");
    expect(text).toContain("your T2MOBILE_WEBHOOK_URL");
    expect(text).not.toContain("__inbox/messages?orderId");
  });
});

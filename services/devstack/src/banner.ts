import { paint } from "./log-format.js";
import type { ServiceName } from "./processes.js";

export interface BannerInfo {
  readonly urls: Readonly<Record<ServiceName, string>>;
  readonly nats: { readonly url: string; readonly note: string };
  readonly mongodb: { readonly url: string; readonly note: string };
  /** The sandbox key to print, or undefined when the user set T2MOBILE_API_KEY (never printed). */
  readonly sandboxApiKey: string | undefined;
  /** Where notification sends webhooks. */
  readonly webhookUrl: string;
  /** True when that is the local inbox. */
  readonly webhooksToInbox: boolean;
  /** For the copy-paste examples: unique per run, so they can be pasted again. */
  readonly orderId: string;
  readonly idempotencyKey: string;
}

const LABELS: Record<ServiceName, string> = {
  gateway: "gateway (REST)",
  catalogue: "catalogue",
  fulfilment: "fulfilment",
  provisioning: "provisioning",
  notification: "notification",
  "zoho-sandbox": "zoho-sandbox",
  "webhook-inbox": "webhook-inbox",
};

const ORDER: readonly ServiceName[] = ["gateway", "catalogue", "fulfilment", "provisioning", "notification", "zoho-sandbox", "webhook-inbox"];

/** The text printed once everything is ready: where things are and how to try them. */
export function renderBanner(info: BannerInfo, colour = false): string {
  const bold = (t: string) => paint(colour, 1, t);
  const dim = (t: string) => paint(colour, 2, t);
  const row = (label: string, value: string, note = "") => `  ${label.padEnd(16)} ${value}${note ? `  ${dim(note)}` : ""}`;
  const gateway = info.urls.gateway;
  const inbox = info.urls["webhook-inbox"];
  const auth = info.sandboxApiKey === undefined ? '"Authorization: Bearer $T2MOBILE_API_KEY"' : `"Authorization: Bearer ${info.sandboxApiKey}"`;
  const order = JSON.stringify({
    orderId: info.orderId,
    productId: "ZOHO_CRM_STD",
    customerId: "T2M_USER_9001",
    customerName: "Ada Obi",
    customerEmail: "ada.obi@example.com",
    customerPhone: "08012345678",
    tenure: "12_MONTHS",
  });
  const lines = [
    "",
    bold("T2Mobile fulfilment platform is running") + dim("  (Ctrl-C stops everything)"),
    "",
    ...ORDER.map((name) => row(LABELS[name], info.urls[name])),
    row("NATS", info.nats.url, info.nats.note),
    row("MongoDB", info.mongodb.url, info.mongodb.note),
    "",
    row("API key", info.sandboxApiKey ?? "(from T2MOBILE_API_KEY)", info.sandboxApiKey === undefined ? "" : "sandbox key"),
    row("API docs", `${gateway}/t2mobile/docs`, "the OpenAPI 3.1 document: /t2mobile/openapi.json"),
    info.webhooksToInbox
      ? row("webhooks", `-> ${info.webhookUrl}`, "the local inbox")
      : row("webhooks", "-> your T2MOBILE_WEBHOOK_URL", "the inbox still runs, but receives nothing"),
    "",
    bold("Try it:"),
    dim("  # the product catalogue"),
    `  curl -s ${gateway}/t2mobile/products -H ${auth}`,
    dim("  # place an order (send it again with the same Idempotency-Key: no second order)"),
    `  curl -s -X POST ${gateway}/t2mobile/fulfilment -H ${auth} \\`,
    `    -H "Idempotency-Key: ${info.idempotencyKey}" -H "Content-Type: application/json" \\`,
    `    -d '${order}'`,
    dim("  # read the order"),
    `  curl -s ${gateway}/t2mobile/orders/${info.orderId} -H ${auth}`,
  ];
  if (info.webhooksToInbox) {
    lines.push(dim("  # the webhooks it caused"), `  curl -s '${inbox}/__inbox/messages?orderId=${info.orderId}'`);
  }
  // t2m's defaults are exactly this stack's ports and operator token.
  lines.push(dim("  # as an operator (npx t2m --help: orders, subscriptions, webhooks, partners, jobs)"), `  npx t2m orders get ${info.orderId}`, `  npx t2m webhooks attempts ${info.orderId}`);
  lines.push("");
  return lines.join("\n");
}

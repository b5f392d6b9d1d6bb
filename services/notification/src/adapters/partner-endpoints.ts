import type { Client } from "@connectrpc/connect";
import { repeatEvery, type Logger, type Repeating } from "@t2m/platform";
import type { PartnerService } from "@t2m/proto/partners/v1/partners";
import { DEFAULT_PARTNER_ID } from "@t2m/topology";
import type { Endpoint, EndpointDirectory } from "./endpoints.js";

/**
 * Each partner's webhook endpoint, from fulfilment's PartnerService: the
 * endpoint id is the partner id, the URL and secrets the partner's. Read
 * at start and every `refreshMs` (a changed URL or secret applies from the
 * next attempt after that); a message is sent to the endpoint its partner
 * has when the attempt is made.
 *
 * notification's own T2MOBILE_WEBHOOK_URL and secrets are T2Mobile's
 * endpoint as a setup made before partners had it: they are recorded with
 * the registry at start (BootstrapPartner; an operator's SetWebhook wins
 * over them) and used for "t2mobile" while the registry has no webhook for
 * it or cannot be read.
 */
export class PartnerEndpoints implements EndpointDirectory {
  private endpoints = new Map<string, Endpoint>();
  private timer: Repeating | undefined;
  private stopped = false;
  private loaded = false;

  constructor(
    private readonly client: Client<typeof PartnerService>,
    private readonly logger: Logger,
    private readonly options: { configured?: Endpoint; refreshMs: number },
  ) {}

  /** Records the configured endpoint and reads every partner's; gives up waiting after waitMs (the configured one serves meanwhile). */
  async start(waitMs = 10_000): Promise<void> {
    const first = (async () => {
      for (let attempt = 0; !this.stopped; attempt++) {
        try {
          const configured = this.options.configured;
          if (configured) {
            await this.client.bootstrapPartner({ partnerId: DEFAULT_PARTNER_ID, name: "T2Mobile", webhookUrl: configured.url, webhookSecrets: [...configured.secrets] });
          }
          await this.refresh();
          this.schedule();
          return;
        } catch (err) {
          if (attempt % 10 === 0) this.logger.warn({ err }, "partner endpoints unavailable; retrying (the configured T2Mobile endpoint serves meanwhile)");
          await new Promise((r) => setTimeout(r, 1_000));
        }
      }
    })();
    const done = await Promise.race([first.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), waitMs).unref())]);
    if (!done) this.logger.warn("partner endpoints not loaded yet");
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = repeatEvery(() => this.refresh(), { intervalMs: this.options.refreshMs, firstDelayMs: this.options.refreshMs, logger: this.logger, failure: "could not refresh the partner endpoints; keeping the last ones" });
  }

  async refresh(): Promise<void> {
    const { partners } = await this.client.getPartnerDirectory({});
    const endpoints = new Map<string, Endpoint>();
    for (const p of partners) {
      if (p.webhookUrl && p.webhookSecrets.length > 0) endpoints.set(p.partnerId, { id: p.partnerId, url: p.webhookUrl, secrets: [...p.webhookSecrets] });
    }
    this.endpoints = endpoints;
    this.loaded = true;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  endpointIdFor(message: { partnerId?: string }): string {
    return message.partnerId || DEFAULT_PARTNER_ID;
  }

  find(endpointId: string): Endpoint | undefined {
    return this.endpoints.get(endpointId) ?? (endpointId === DEFAULT_PARTNER_ID ? this.options.configured : undefined);
  }

  all(): readonly Endpoint[] {
    const all = new Map(this.endpoints);
    if (this.options.configured && !all.has(DEFAULT_PARTNER_ID)) all.set(DEFAULT_PARTNER_ID, this.options.configured);
    return [...all.values()];
  }

  stop(): void {
    this.stopped = true;
    // A refresh under way only reads partners over RPC: nothing to wait for.
    void this.timer?.stop();
  }
}

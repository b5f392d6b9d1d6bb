import { runMain, runService, serveOptions } from "@t2m/platform";
import { createInboxApp } from "./app.js";
import { inboxSecrets, loadInboxConfig } from "./config.js";
import { InboxStore } from "./domain/inbox.js";
import { ResponsePlan } from "./domain/responses.js";

runMain(async () => {
  const config = loadInboxConfig();
  await runService({
    name: "webhook-inbox",
    ...serveOptions(config),
    start: async (rt) =>
      createInboxApp({ secrets: inboxSecrets(config), store: new InboxStore(config.WEBHOOK_INBOX_CAPACITY), plan: new ResponsePlan(), logger: rt.logger }),
  });
});

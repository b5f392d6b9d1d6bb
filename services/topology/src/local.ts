/**
 * Credentials and addresses for local runs and tests. They only ever apply
 * outside production (see ConfigContext.sandboxDefault); the Zoho sandbox and
 * the webhook inbox accept exactly these, so a fresh checkout works end to end.
 */
export const SandboxDefaults = {
  t2mobileApiKey: "t2m_sandbox_key_0123456789abcdef",
  // Standard Webhooks secret: whsec_ + base64 of 32 bytes.
  t2mobileWebhookSecret: "whsec_aWNvbnRlY2gtdDJtb2JpbGUtc2FuZGJveC1zZWNyZXQ=",
  zohoOrganizationId: "10234695",
  zohoClientId: "1000.SANDBOXCLIENTID",
  zohoClientSecret: "sandbox-client-secret",
  zohoRefreshToken: "1000.sandbox.refresh.token",
  /** The sandbox licence provisioner's key (SANDBOX_LICENCE_KEY): its activation references are an HMAC of the order id with it. */
  sandboxLicenceKey: "icontech-sandbox-licences",
  /** Service tokens for Connect RPC (RPC_TOKEN_<CALLER>); servers get their SHA-256 digests. */
  rpcTokens: {
    gateway: "t2m_sandbox_rpc_gateway_5f0c9a7d2e41b8636a1f",
    fulfilment: "t2m_sandbox_rpc_fulfilment_b27e4d19c8a0536f",
    provisioning: "t2m_sandbox_rpc_provisioning_6c2f8e0a4b17d953",
    notification: "t2m_sandbox_rpc_notification_93d1a6e05f7c2b48",
    operator: "t2m_sandbox_rpc_operator_4a8e2c6b1d9f7053e2b1",
  },
  /** NATS passwords of each service's user (NATS_PASSWORD), which the devstack's nats-server accepts. */
  natsPasswords: {
    gateway: "t2m-sandbox-nats-gateway-7c1e",
    fulfilment: "t2m-sandbox-nats-fulfilment-2a9d",
    provisioning: "t2m-sandbox-nats-provisioning-5b3f",
    notification: "t2m-sandbox-nats-notification-8e60",
  },
} as const;

/** Where each process listens by default, and so where the others find it locally. */
export const DefaultPorts = {
  gateway: 4000,
  catalogue: 4101,
  fulfilment: 4102,
  provisioning: 4103,
  notification: 4104,
  zohoSandbox: 4105,
  webhookInbox: 4106,
} as const;

export const localUrl = (portNumber: number) => `http://127.0.0.1:${portNumber}`;

/**
 * V8 heap settings every long-running service is started with (npm start and
 * the chart alike). A 2 MB young generation keeps each process near 120–150 MB
 * resident under load instead of 200–270 MB: the services hold little live
 * data, so the heap is mostly garbage V8 would otherwise let grow. The old
 * space is capped at 256 MB: at 80 MB, and once at 160 MB, a fulfilment
 * replica recovering a backlog (the fault suite: 500 orders, Zoho failing, its
 * peers killed) ran out of heap and its successors crash-looped. Measured
 * since, its heap in use peaks near 50 MB in that suite and the exhaustion has
 * not recurred; its cause is not known (README, Memory), so the cap is headroom.
 */
export const ServiceNodeFlags = ["--max-semi-space-size=2", "--max-old-space-size=256"] as const;

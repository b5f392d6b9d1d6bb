import type { DescService } from "@bufbuild/protobuf";
import type { RpcAccessPolicy } from "@t2m/platform";
import { CatalogueService } from "@t2m/proto/catalogue/v1/catalogue";
import { FulfilmentService } from "@t2m/proto/fulfilment/v1/fulfilment";
import { NotificationJobService } from "@t2m/proto/notification/v1/jobs";
import { NotificationService } from "@t2m/proto/notification/v1/notification";
import { PartnerService } from "@t2m/proto/partners/v1/partners";
import { ProvisioningJobService } from "@t2m/proto/provisioning/v1/jobs";
import { ProvisioningService, SubscriptionService } from "@t2m/proto/provisioning/v1/provisioning";
import { LicenceTaskService } from "@t2m/proto/provisioning/v1/licence_tasks";

/**
 * Who calls whom over Connect RPC (and gRPC): the platform's one access
 * policy. Every server checks it (services/platform/src/rpc-auth.ts): a call
 * needs a known service token, and its caller must be listed for the method.
 * A method missing here is refused to everyone (a test keeps every method
 * of proto/ listed). The chart's NetworkPolicies follow the same graph.
 *
 * Callers: the four services that call others (provisioning: its
 * subscription jobs), and `operator`, the token of people and tools acting
 * on the platform (grpcurl, buf curl, the `t2m` CLI): reads, the webhook
 * replays, partners and subscriptions, re-driving a stuck order and running
 * a scheduled job; never intake or Zoho's mutations.
 */
export const RPC_CALLERS = ["gateway", "fulfilment", "provisioning", "notification", "operator"] as const;
export type RpcCaller = (typeof RPC_CALLERS)[number];

/** Every service that serves RPCs, by the process that serves it. */
export const RpcServices = {
  catalogue: [CatalogueService],
  fulfilment: [FulfilmentService, PartnerService],
  provisioning: [ProvisioningService, SubscriptionService, LicenceTaskService, ProvisioningJobService],
  notification: [NotificationService, NotificationJobService],
} as const satisfies Record<string, readonly DescService[]>;

const method = <S extends DescService>(service: S, name: keyof S["method"] & string) => `${service.typeName}/${service.method[name]!.name}`;

export const RpcAccess = {
  // Prices: the gateway's catalogue, fulfilment's intake, provisioning's expiry reminders (renewal prices).
  [method(CatalogueService, "listProducts")]: ["gateway", "fulfilment", "provisioning", "operator"],
  [method(CatalogueService, "getProduct")]: ["gateway", "fulfilment", "provisioning", "operator"],
  // Intake: only T2Mobile's API, through the gateway, places orders.
  [method(FulfilmentService, "submitOrder")]: ["gateway"],
  [method(FulfilmentService, "submitOrders")]: ["gateway"],
  // The gateway's GET /orders/:id, notification's forgery guard, provisioning's renewal-check (is a renewal order finished?).
  [method(FulfilmentService, "getOrder")]: ["gateway", "notification", "provisioning", "operator"],
  [method(FulfilmentService, "listOrders")]: ["gateway", "operator"],
  // Re-driving a stuck order: operators (the worker stays the order's only writer).
  [method(FulfilmentService, "retryOrder")]: ["operator"],
  // Partners: operators manage them; the gateway (keys) and notification (webhooks) read the directory, which holds
  // webhook secrets, so no one else may.
  [method(PartnerService, "createPartner")]: ["operator"],
  [method(PartnerService, "getPartner")]: ["operator"],
  [method(PartnerService, "listPartners")]: ["operator"],
  [method(PartnerService, "issueApiKey")]: ["operator"],
  [method(PartnerService, "revokeApiKey")]: ["operator"],
  [method(PartnerService, "setWebhook")]: ["operator"],
  [method(PartnerService, "setRateLimit")]: ["operator"],
  [method(PartnerService, "setPartnerStatus")]: ["operator"],
  [method(PartnerService, "getPartnerDirectory")]: ["gateway", "notification"],
  [method(PartnerService, "bootstrapPartner")]: ["gateway", "notification"],
  [method(PartnerService, "recordKeyUsage")]: ["gateway"],
  // Zoho's sales orders and licences: only fulfilment's worker, which prices orders from the catalogue.
  [method(ProvisioningService, "createSalesOrder")]: ["fulfilment"],
  [method(ProvisioningService, "provisionLicence")]: ["fulfilment"],
  [method(ProvisioningService, "voidSalesOrder")]: ["fulfilment"],
  [method(ProvisioningService, "getSubscription")]: ["fulfilment", "operator"],
  // Subscriptions: reads for the gateway, notification's forgery guard and operators; renewals from fulfilment's
  // intake (prepare) and worker (renew); revocation by partners (through the gateway) and operators.
  [method(SubscriptionService, "lookupSubscription")]: ["gateway", "notification", "operator"],
  [method(SubscriptionService, "listCustomerSubscriptions")]: ["gateway", "operator"],
  [method(SubscriptionService, "prepareRenewal")]: ["fulfilment"],
  [method(SubscriptionService, "renewSubscription")]: ["fulfilment"],
  [method(SubscriptionService, "revokeSubscription")]: ["gateway", "operator"],
  // The manual licence queue: operators list it and complete or fail its tasks.
  [method(LicenceTaskService, "listLicenceTasks")]: ["operator"],
  [method(LicenceTaskService, "completeLicenceTask")]: ["operator"],
  [method(LicenceTaskService, "failLicenceTask")]: ["operator"],
  // The attempt log, dead letters, replays and the endpoint's health: operators.
  [method(NotificationService, "listDeliveries")]: ["operator"],
  [method(NotificationService, "listAttempts")]: ["operator"],
  [method(NotificationService, "listMessages")]: ["operator"],
  [method(NotificationService, "listDeadLetters")]: ["operator"],
  [method(NotificationService, "replayMessage")]: ["operator"],
  [method(NotificationService, "replayDeadLetters")]: ["operator"],
  [method(NotificationService, "replayOrder")]: ["operator"],
  [method(NotificationService, "getEndpoint")]: ["operator"],
  [method(NotificationService, "enableEndpoint")]: ["operator"],
  // A scheduled job run now, in the serving process (the CronJobs themselves need no RPC).
  [method(ProvisioningJobService, "runJob")]: ["operator"],
  [method(NotificationJobService, "runJob")]: ["operator"],
} as const satisfies RpcAccessPolicy;

/**
 * The callers each server accepts (those the policy names for any of its
 * methods), literal so each service's config.ts reads exactly their token
 * digests; a test keeps this equal to RpcAccess.
 */
export const RpcCallersOf = {
  catalogue: ["gateway", "fulfilment", "provisioning", "operator"],
  fulfilment: ["gateway", "notification", "provisioning", "operator"],
  provisioning: ["gateway", "fulfilment", "notification", "operator"],
  notification: ["operator"],
} as const satisfies Record<keyof typeof RpcServices, readonly RpcCaller[]>;

/** Who each caller calls: the edges of the call graph (NetworkPolicies, the chart's ConfigMaps). */
export function calleesOf(caller: RpcCaller): Array<keyof typeof RpcServices> {
  return (Object.keys(RpcCallersOf) as Array<keyof typeof RpcServices>).filter((s) => (RpcCallersOf[s] as readonly string[]).includes(caller));
}

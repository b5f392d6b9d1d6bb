import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { Code, ConnectError } from "@t2m/platform";
import type { CatalogueService } from "@t2m/proto/catalogue/v1/catalogue";
import type { ProvisioningService } from "@t2m/proto/provisioning/v1/provisioning";
import type { OfferLookup } from "../domain/accept-order.js";
import type { LicenceResult, SalesOrderResult, StepFailure } from "../domain/fulfil-order.js";
import type { OrderRecord } from "../domain/order.js";

/** Looks a product and tenure up in the Catalogue service. */
export async function findOffer(catalogue: Client<typeof CatalogueService>, productId: string, tenure: string): Promise<OfferLookup> {
  let product;
  try {
    ({ product } = await catalogue.getProduct({ productId }));
  } catch (err) {
    if (err instanceof ConnectError && err.code === Code.NotFound) return "PRODUCT_NOT_FOUND";
    throw err;
  }
  const offer = product?.tenures.find((t) => t.tenure === tenure);
  if (!product || !offer?.price) return "TENURE_NOT_OFFERED";
  return {
    productId: product.productId,
    productName: product.name,
    zohoItemSku: product.zohoItemSku,
    tenure: offer.tenure,
    months: offer.months,
    price: { currencyCode: offer.price.currencyCode, amountMinor: Number(offer.price.amountMinor) },
  };
}

export async function createSalesOrder(
  provisioning: Client<typeof ProvisioningService>,
  order: OrderRecord,
): Promise<SalesOrderResult> {
  const res = await provisioning.createSalesOrder({
    orderId: order.orderId,
    customer: order.customer,
    line: {
      sku: order.zohoItemSku,
      name: order.productName,
      description: `${order.productName}, ${order.tenure.replace("_", " ").toLowerCase()} (T2Mobile order ${order.orderId})`,
      rate: { currencyCode: order.price.currencyCode, amountMinor: BigInt(order.price.amountMinor) },
      quantity: 1,
    },
  });
  return {
    zohoSalesOrderId: res.zohoSalesOrderId,
    zohoSalesOrderNumber: res.zohoSalesOrderNumber,
    zohoCustomerId: res.zohoCustomerId,
  };
}

export async function provisionLicence(
  provisioning: Client<typeof ProvisioningService>,
  order: OrderRecord,
): Promise<LicenceResult> {
  const { subscription } = await provisioning.provisionLicence({
    orderId: order.orderId,
    zohoSalesOrderId: order.zohoSalesOrderId ?? "",
    productId: order.productId,
    tenure: order.tenure,
    tenureMonths: order.tenureMonths,
    customer: order.customer,
  });
  if (!subscription?.expiryDate || !subscription.activationReference) {
    throw new ConnectError("provisioning returned no subscription", Code.Internal);
  }
  return { activationReference: subscription.activationReference, expiryDate: timestampDate(subscription.expiryDate) };
}

/** Codes after which the same request can never succeed. */
const PERMANENT = new Set([Code.InvalidArgument, Code.FailedPrecondition, Code.NotFound, Code.PermissionDenied, Code.Unimplemented]);

/** Whether a failed step is worth retrying; anything unexpected (network, database) is treated as transient. */
export function classifyStepError(err: unknown): StepFailure {
  if (err instanceof ConnectError) return { permanent: PERMANENT.has(err.code), message: err.rawMessage };
  return { permanent: false, message: err instanceof Error ? err.message : String(err) };
}

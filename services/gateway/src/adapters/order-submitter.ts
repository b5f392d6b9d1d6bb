import { create } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { connectErrorFrom, currentTraceContext, GroupCommit } from "@t2m/platform";
import {
  SubmitOrderRequestSchema,
  type FulfilmentService,
  type SubmitOrderRequest,
  type SubmitOrderResponse,
  type SubmitOrderResult,
} from "@t2m/proto/fulfilment/v1/fulfilment";

/** An order as the gateway submits it; its trace context is added here. */
export interface OrderToSubmit {
  readonly partnerId: string;
  readonly idempotencyKey: string;
  readonly orderId: string;
  readonly productId: string;
  readonly tenure: string;
  readonly customer: { readonly customerId: string; readonly name: string; readonly email: string; readonly phone: string };
  /** A renewal: the subscription renewed. */
  readonly renews?: string;
}

/**
 * Sends the orders that arrive together to fulfilment in one SubmitOrders
 * call (group commit: an idle gateway sends each order at once), so the cost
 * of the RPC is shared under load. Each order keeps its own result, and its
 * own trace through the W3C context it carries.
 */
export class OrderSubmitter {
  private readonly commit: GroupCommit<SubmitOrderRequest, SubmitOrderResult>;

  constructor(fulfilment: Client<typeof FulfilmentService>, options: { maxBatch: number; maxInFlight: number }) {
    this.commit = new GroupCommit({
      maxBatch: options.maxBatch,
      maxInFlight: options.maxInFlight,
      write: async (orders) => (await fulfilment.submitOrders({ orders: [...orders] })).results,
    });
  }

  /** Resolves with fulfilment's answer for this order, or rejects with the ConnectError SubmitOrder would have thrown. */
  async submit(request: OrderToSubmit): Promise<SubmitOrderResponse> {
    const result = await this.commit.submit(create(SubmitOrderRequestSchema, { ...request, traceContext: currentTraceContext() }));
    if (result.result.case === "accepted") return result.result.value;
    if (result.result.case === "error") throw connectErrorFrom(result.result.value);
    throw new Error("fulfilment answered an order with neither a result nor an error");
  }
}

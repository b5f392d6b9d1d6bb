import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import {
  OrderFailedSchema,
  OrderFulfilledSchema,
  OrderSubmittedSchema,
} from "@t2m/proto/events/v1/events";

/** A kind of domain event: the subject it travels on and its Protobuf schema. */
export interface EventType<Desc extends DescMessage = DescMessage> {
  readonly subject: string;
  readonly schema: Desc;
}

function eventType<Desc extends DescMessage>(subject: string, schema: Desc): EventType<Desc> {
  return { subject, schema };
}

/** Every event on the ORDERS stream. Subjects are declared here and nowhere else. */
export const OrderEvents = {
  submitted: eventType("orders.submitted", OrderSubmittedSchema),
  fulfilled: eventType("orders.outcome.fulfilled", OrderFulfilledSchema),
  failed: eventType("orders.outcome.failed", OrderFailedSchema),
} as const;

/**
 * The deterministic Nats-Msg-Id of an event: republishing the same event
 * for the same order (after a crash or a redelivery) is then dropped by the
 * stream's duplicate window instead of being delivered twice.
 */
export function eventMessageId(type: EventType, aggregateId: string): string {
  return `${type.subject}:${aggregateId}`;
}

export function encodeEvent<Desc extends DescMessage>(type: EventType<Desc>, message: MessageShape<Desc>): Uint8Array {
  return toBinary(type.schema, message);
}

export function decodeEvent<Desc extends DescMessage>(type: EventType<Desc>, data: Uint8Array): MessageShape<Desc> {
  return fromBinary(type.schema, data);
}

/** The message decoded as `type`, or undefined when it travelled on another subject. */
export function decodeIf<Desc extends DescMessage>(
  type: EventType<Desc>,
  message: { subject: string; data: Uint8Array },
): MessageShape<Desc> | undefined {
  return message.subject === type.subject ? decodeEvent(type, message.data) : undefined;
}

import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";

/** A kind of domain event: the subject it travels on and its Protobuf schema. */
export interface EventType<Desc extends DescMessage = DescMessage> {
  readonly subject: string;
  readonly schema: Desc;
}

export function eventType<Desc extends DescMessage>(subject: string, schema: Desc): EventType<Desc> {
  return { subject, schema };
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

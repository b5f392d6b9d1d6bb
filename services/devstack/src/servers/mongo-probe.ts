import { connect } from "node:net";

/**
 * A dependency-free MongoDB wire check: sends OP_MSG {ping: 1, $db: "admin"}
 * and reads the answer. Tells "nothing listens" from "something that is not
 * MongoDB listens" from "a MongoDB-wire server answers", in well under a
 * second, where a driver would wait for its server-selection timeout.
 */

export type MongoProbe =
  | { readonly kind: "mongodb"; readonly ok: boolean }
  | { readonly kind: "closed"; readonly detail: string }
  | { readonly kind: "other"; readonly detail: string };

const OP_MSG = 2013;

/** A BSON document with int32 and string fields, enough for a ping. */
export function encodeBson(fields: Record<string, number | string>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(fields)) {
    const name = Buffer.from(`${key}\0`, "utf8");
    if (typeof value === "number") {
      const v = Buffer.alloc(4);
      v.writeInt32LE(value);
      parts.push(Buffer.from([0x10]), name, v);
    } else {
      const str = Buffer.from(`${value}\0`, "utf8");
      const len = Buffer.alloc(4);
      len.writeInt32LE(str.length);
      parts.push(Buffer.from([0x02]), name, len, str);
    }
  }
  const body = Buffer.concat(parts);
  const doc = Buffer.alloc(4 + body.length + 1);
  doc.writeInt32LE(doc.length);
  body.copy(doc, 4);
  return doc;
}

export function encodePing(requestId: number): Buffer {
  const doc = encodeBson({ ping: 1, $db: "admin" });
  const header = Buffer.alloc(16 + 4 + 1);
  header.writeInt32LE(header.length + doc.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(0, 8);
  header.writeInt32LE(OP_MSG, 12);
  header.writeUInt32LE(0, 16);
  header.writeUInt8(0, 20);
  return Buffer.concat([header, doc]);
}

/** The numeric `ok` field of a BSON document's top level, if it has one. */
export function readOk(doc: Buffer): number | undefined {
  let offset = 4;
  const end = Math.min(doc.length, doc.readInt32LE(0)) - 1;
  while (offset < end) {
    const type = doc.readUInt8(offset);
    const nameEnd = doc.indexOf(0, offset + 1);
    if (nameEnd < 0) return undefined;
    const name = doc.toString("utf8", offset + 1, nameEnd);
    offset = nameEnd + 1;
    let size: number;
    let value: number | undefined;
    switch (type) {
      case 0x01: value = doc.readDoubleLE(offset); size = 8; break;
      case 0x10: value = doc.readInt32LE(offset); size = 4; break;
      case 0x12: value = Number(doc.readBigInt64LE(offset)); size = 8; break;
      case 0x08: value = doc.readUInt8(offset); size = 1; break;
      case 0x02: case 0x0d: case 0x0e: size = 4 + doc.readInt32LE(offset); break;
      case 0x03: case 0x04: size = doc.readInt32LE(offset); break;
      case 0x05: size = 5 + doc.readInt32LE(offset); break;
      case 0x07: size = 12; break;
      case 0x09: case 0x11: size = 8; break;
      case 0x0a: case 0x06: case 0xff: case 0x7f: size = 0; break;
      case 0x13: size = 16; break;
      default: return undefined;
    }
    if (name === "ok") return value;
    offset += size;
  }
  return undefined;
}

/** Parses an OP_MSG reply to `requestId`; undefined when the bytes are not one. */
export function parseReply(reply: Buffer, requestId: number): { ok: number | undefined } | undefined {
  if (reply.length < 21 + 5) return undefined;
  if (reply.readInt32LE(12) !== OP_MSG || reply.readInt32LE(8) !== requestId) return undefined;
  if (reply.readUInt8(20) !== 0) return undefined;
  try {
    return { ok: readOk(reply.subarray(21)) };
  } catch {
    return { ok: undefined };
  }
}

export function probeMongo(host: string, port: number, timeoutMs = 2_000): Promise<MongoProbe> {
  const requestId = Math.floor(Math.random() * 0x7fffffff);
  return new Promise<MongoProbe>((resolve) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    let connected = false;
    const finish = (result: MongoProbe) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish(connected ? { kind: "other", detail: `no MongoDB answer within ${timeoutMs} ms` } : { kind: "closed", detail: "connect timed out" }),
      timeoutMs,
    );
    socket.once("connect", () => {
      connected = true;
      socket.write(encodePing(requestId));
    });
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const length = received.readInt32LE(0);
      if (length < 16 || length > 48 * 1024 * 1024) {
        return finish({ kind: "other", detail: `answered something that is not MongoDB: ${JSON.stringify(received.subarray(0, 40).toString("latin1"))}` });
      }
      if (received.length < length) return;
      const reply = parseReply(received.subarray(0, length), requestId);
      finish(reply ? { kind: "mongodb", ok: reply.ok === 1 } : { kind: "other", detail: "answered with an unexpected MongoDB message" });
    });
    socket.once("error", (err: NodeJS.ErrnoException) =>
      finish(connected ? { kind: "other", detail: err.message } : { kind: "closed", detail: err.code ?? err.message }),
    );
    socket.once("end", () => finish(connected ? { kind: "other", detail: "closed the connection without a MongoDB answer" } : { kind: "closed", detail: "closed" }));
  });
}

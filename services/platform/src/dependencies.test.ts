import { ConnectionError, TimeoutError } from "@nats-io/transport-node";
import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from "mongodb";
import { describe, expect, it } from "vitest";
import { isDependencyUnavailable } from "./dependencies.js";

describe("isDependencyUnavailable", () => {
  it("recognises unreachable MongoDB and NATS", () => {
    expect(isDependencyUnavailable(new MongoNetworkError("connection 1 closed"))).toBe(true);
    expect(isDependencyUnavailable(new MongoServerSelectionError("timed out", { type: "Unknown" } as never))).toBe(true);
    expect(isDependencyUnavailable(new ConnectionError("disconnected"))).toBe(true);
    expect(isDependencyUnavailable(new TimeoutError())).toBe(true);
  });

  it("leaves bugs and server-side rejections alone", () => {
    expect(isDependencyUnavailable(new MongoServerError({ code: 11000, errmsg: "E11000 duplicate key" }))).toBe(false);
    expect(isDependencyUnavailable(new TypeError("x is undefined"))).toBe(false);
  });
});

import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { LicenceTaskKind, LicenceTaskSchema, LicenceTaskState } from "@t2m/proto/provisioning/v1/licence_tasks";
import { describe, expect, it } from "vitest";
import { age, licenceTaskTable } from "./views.js";

describe("age", () => {
  it("reads as a queue's age: seconds, minutes, hours with minutes, days with hours", () => {
    expect([0, 45_000, 12 * 60_000 + 5_000, (3 * 60 + 20) * 60_000, (52 * 60 + 30) * 60_000, -5].map(age)).toEqual(["0s", "45s", "12m", "3h 20m", "2d 4h", "0s"]);
  });
});

describe("licenceTaskTable", () => {
  it("shows a waiting task's age and a finished one's outcome", () => {
    const now = new Date("2026-12-02T12:00:00Z");
    const waiting = create(LicenceTaskSchema, {
      orderId: "T2M-1", kind: LicenceTaskKind.PROVISION, state: LicenceTaskState.WAITING, productId: "ZOHO_CRM_STD", tenure: "12_MONTHS",
      customer: { customerId: "C1", email: "c1@example.ng" }, createdAt: timestampFromDate(new Date("2026-12-02T08:40:00Z")),
    });
    const failed = create(LicenceTaskSchema, {
      orderId: "T2M-2", kind: LicenceTaskKind.EXTEND, state: LicenceTaskState.FAILED, productId: "ZOHO_CRM_STD", tenure: "1_MONTH",
      failureReason: "no seat left", createdAt: timestampFromDate(new Date("2026-12-01T08:00:00Z")),
    });
    const [header, first, second] = licenceTaskTable([waiting, failed], now).split("\n");
    expect(header).toMatch(/^ORDER\s+KIND\s+STATE\s+PRODUCT\s+TENURE\s+CUSTOMER\s+WAITING SINCE\s+AGE\s+ACTIVATION REF\s+REASON$/);
    expect(first).toMatch(/^T2M-1\s+PROVISION\s+WAITING\s+ZOHO_CRM_STD\s+12_MONTHS\s+C1, c1@example.ng\s+2026-12-02T08:40:00Z\s+3h 20m/);
    expect(second).toMatch(/^T2M-2\s+EXTEND\s+FAILED\s+.*no seat left$/);
  });
});

import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { LicenceTaskKind, LicenceTaskSchema, LicenceTaskState, type LicenceTask as LicenceTaskMessage } from "@t2m/proto/provisioning/v1/licence_tasks";
import type { LicenceTask, LicenceTaskKind as Kind, LicenceTaskState as State } from "../domain/licence-tasks.js";

const STATE: Record<State, LicenceTaskState> = {
  WAITING: LicenceTaskState.WAITING,
  COMPLETED: LicenceTaskState.COMPLETED,
  FAILED: LicenceTaskState.FAILED,
};

const KIND: Record<Kind, LicenceTaskKind> = {
  PROVISION: LicenceTaskKind.PROVISION,
  EXTEND: LicenceTaskKind.EXTEND,
};

/** The domain's state for a request's enum; undefined for UNSPECIFIED or an unknown number. */
export function fromTaskStateMessage(state: LicenceTaskState): State | undefined {
  return (Object.keys(STATE) as State[]).find((key) => STATE[key] === state);
}

const ts = (date: Date | undefined) => (date ? timestampFromDate(date) : undefined);

export function toLicenceTaskMessage(task: LicenceTask): LicenceTaskMessage {
  return create(LicenceTaskSchema, {
    orderId: task.orderId,
    kind: KIND[task.kind],
    state: STATE[task.state],
    productId: task.productId,
    tenure: task.tenure,
    tenureMonths: task.tenureMonths,
    customer: task.customer,
    zohoSalesOrderId: task.zohoSalesOrderId,
    activationReference: task.activationReference ?? "",
    subscriptionId: task.subscriptionId ?? "",
    periodStart: ts(task.periodStart),
    expiryDate: ts(task.expiryDate),
    failureReason: task.failureReason ?? "",
    createdAt: ts(task.createdAt),
    completedAt: ts(task.completedAt),
    failedAt: ts(task.failedAt),
  });
}

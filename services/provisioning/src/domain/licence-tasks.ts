import type { FieldViolation } from "@t2m/platform";
import type { Customer, LicenceExtension, LicenceProvisioner, LicenceRequest, LicenceRevocation } from "./provisioning.js";

/**
 * The manual licence queue (LICENCE_PROVISIONER=manual): Zoho has no public
 * licence API, so a person provisions each licence in Zoho's Partner Store
 * and records its activation reference (LicenceTaskService).
 *
 *   WAITING ──complete(reference)──► COMPLETED   (final)
 *      └──────fail(reason)─────────► FAILED      (final)
 *
 * One task per order (its id is the order id), inserted once; afterwards
 * only the operator's call (or the order giving up, via VoidSalesOrder)
 * writes it, so a task has one writer at a time.
 */
export type LicenceTaskState = "WAITING" | "COMPLETED" | "FAILED";
export type LicenceTaskKind = "PROVISION" | "EXTEND";

export interface LicenceTask {
  readonly orderId: string;
  readonly kind: LicenceTaskKind;
  readonly state: LicenceTaskState;
  readonly productId: string;
  readonly tenure: string;
  readonly tenureMonths: number;
  readonly customer: Customer;
  readonly zohoSalesOrderId: string;
  /** COMPLETED: the licence's reference. EXTEND: the licence to extend (from the start). */
  readonly activationReference?: string;
  /** EXTEND: the subscription renewed and its new period. */
  readonly subscriptionId?: string;
  readonly periodStart?: Date;
  readonly expiryDate?: Date;
  readonly failureReason?: string;
  readonly createdAt: Date;
  readonly completedAt?: Date;
  readonly failedAt?: Date;
}

export interface LicenceTaskStore {
  find(orderId: string): Promise<LicenceTask | undefined>;
  /** Inserts the task unless the order has one; returns the stored one. */
  insertOrGet(task: LicenceTask): Promise<LicenceTask>;
  /** Replaces a WAITING task with its final state; false when it was no longer WAITING. */
  finish(task: LicenceTask): Promise<boolean>;
  /** Every task in one state, in no particular order. */
  inState(state: LicenceTaskState): Promise<LicenceTask[]>;
}

/** ProvisionLicence must wait: the order's licence is in the operators' queue. Not a failure. */
export class LicencePendingManual extends Error {
  constructor(
    readonly orderId: string,
    readonly waitingSince: Date,
  ) {
    super(`the licence of order ${orderId} waits for an operator (task recorded ${waitingSince.toISOString()})`);
    this.name = "LicencePendingManual";
  }
}

/** An operator failed the order's task: the licence will not be provisioned. */
export class LicenceTaskFailed extends Error {
  constructor(
    readonly orderId: string,
    readonly reason: string,
    readonly failedAt: Date,
  ) {
    super(`an operator failed the licence task of order ${orderId}: ${reason}`);
    this.name = "LicenceTaskFailed";
  }
}

/** A completion or failure that contradicts the task's final state. */
export class LicenceTaskConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LicenceTaskConflict";
  }
}

export class LicenceTaskNotFound extends Error {
  constructor(readonly orderId: string) {
    super(`no licence task for order "${orderId}"`);
    this.name = "LicenceTaskNotFound";
  }
}

export const MAX_REFERENCE_LENGTH = 100;
export const MAX_REASON_LENGTH = 500;

const PRINTABLE_WITHOUT_SPACES = /^[\x21-\x7e]+$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function validateCompletion(orderId: string, activationReference: string): FieldViolation[] {
  const v: FieldViolation[] = [];
  if (orderId.trim() === "") v.push({ field: "order_id", description: "is required" });
  if (activationReference === "") v.push({ field: "activation_reference", description: "is required" });
  else if (activationReference.length > MAX_REFERENCE_LENGTH) v.push({ field: "activation_reference", description: `must be at most ${MAX_REFERENCE_LENGTH} characters` });
  else if (!PRINTABLE_WITHOUT_SPACES.test(activationReference)) v.push({ field: "activation_reference", description: "must be printable ASCII without spaces" });
  return v;
}

export function validateFailure(orderId: string, reason: string): FieldViolation[] {
  const v: FieldViolation[] = [];
  if (orderId.trim() === "") v.push({ field: "order_id", description: "is required" });
  const trimmed = reason.trim();
  if (trimmed === "") v.push({ field: "reason", description: "is required" });
  else if (trimmed.length > MAX_REASON_LENGTH) v.push({ field: "reason", description: `must be at most ${MAX_REASON_LENGTH} characters` });
  else if (CONTROL.test(trimmed)) v.push({ field: "reason", description: "must not contain control characters" });
  return v;
}

/** The task completed with `reference`; `already` when it was completed with it before. */
export function complete(task: LicenceTask, reference: string, at: Date): { task: LicenceTask; already: boolean } {
  if (task.state === "COMPLETED") {
    if (task.activationReference === reference) return { task, already: true };
    throw new LicenceTaskConflict(`the licence task of order ${task.orderId} was completed with another activation reference`);
  }
  if (task.state === "FAILED") throw new LicenceTaskConflict(`the licence task of order ${task.orderId} failed: ${task.failureReason ?? ""}`);
  if (task.kind === "EXTEND" && task.activationReference !== reference) {
    throw new LicenceTaskConflict(`order ${task.orderId} extends licence ${task.activationReference}; complete it with that reference`);
  }
  return { task: { ...task, state: "COMPLETED", activationReference: reference, completedAt: at }, already: false };
}

/** The task failed with `reason`; `already` when it failed with it before. */
export function fail(task: LicenceTask, reason: string, at: Date): { task: LicenceTask; already: boolean } {
  if (task.state === "FAILED") {
    if (task.failureReason === reason) return { task, already: true };
    throw new LicenceTaskConflict(`the licence task of order ${task.orderId} already failed with another reason`);
  }
  if (task.state === "COMPLETED") throw new LicenceTaskConflict(`the licence task of order ${task.orderId} was completed; it cannot fail`);
  return { task: { ...task, state: "FAILED", failureReason: reason, failedAt: at }, already: false };
}

/** Tasks oldest first, ties by order id: the queue's order and its paging position. */
export function compareTasks(a: Pick<LicenceTask, "createdAt" | "orderId">, b: Pick<LicenceTask, "createdAt" | "orderId">): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0);
}

/** A page position: the last task listed. Opaque to callers (base64url). */
export function encodePageToken(state: LicenceTaskState, last: Pick<LicenceTask, "createdAt" | "orderId">): string {
  return Buffer.from(JSON.stringify([state, last.createdAt.getTime(), last.orderId])).toString("base64url");
}

export function decodePageToken(token: string, state: LicenceTaskState): { createdAt: Date; orderId: string } | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (!Array.isArray(value) || value.length !== 3) return undefined;
    const [tokenState, ms, orderId] = value as unknown[];
    if (tokenState !== state || typeof ms !== "number" || !Number.isFinite(ms) || typeof orderId !== "string") return undefined;
    return { createdAt: new Date(ms), orderId };
  } catch {
    return undefined;
  }
}

/** One page of tasks (already of one state) after `after`, oldest first. */
export function pageOf(tasks: readonly LicenceTask[], size: number, after: { createdAt: Date; orderId: string } | undefined): { page: LicenceTask[]; more: boolean } {
  const sorted = [...tasks].sort(compareTasks).filter((t) => !after || compareTasks(t, after) > 0);
  return { page: sorted.slice(0, size), more: sorted.length > size };
}

/**
 * The licence provisioner of LICENCE_PROVISIONER=manual. provision() records
 * the order's task and answers LicencePendingManual until an operator
 * completes it (then the operator's reference) or fails it
 * (LicenceTaskFailed). An extension is recorded as an EXTEND task and does
 * not wait: the renewal is IconTech's record, the task the operator's
 * to-do. A revocation needs no licence change from the queue (revoking is
 * an operator's act already) and is not queued.
 */
export class ManualLicenceProvisioner implements LicenceProvisioner {
  constructor(
    private readonly store: LicenceTaskStore,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async provision(request: LicenceRequest): Promise<{ activationReference: string }> {
    const task =
      (await this.store.find(request.orderId)) ??
      (await this.store.insertOrGet({
        orderId: request.orderId,
        kind: "PROVISION",
        state: "WAITING",
        productId: request.productId,
        tenure: request.tenure,
        tenureMonths: request.tenureMonths,
        // Only the fields: a request decoded from Protobuf carries more than a store accepts.
        customer: { customerId: request.customer.customerId, name: request.customer.name, email: request.customer.email, phone: request.customer.phone },
        zohoSalesOrderId: request.zohoSalesOrderId,
        createdAt: this.clock(),
      }));
    switch (task.state) {
      case "COMPLETED":
        return { activationReference: task.activationReference! };
      case "FAILED":
        throw new LicenceTaskFailed(task.orderId, task.failureReason ?? "", task.failedAt ?? task.createdAt);
      case "WAITING":
        throw new LicencePendingManual(task.orderId, task.createdAt);
    }
  }

  async extend(extension: LicenceExtension): Promise<void> {
    if ((await this.store.find(extension.renewalOrderId)) !== undefined) return;
    await this.store.insertOrGet({
      orderId: extension.renewalOrderId,
      kind: "EXTEND",
      state: "WAITING",
      productId: extension.productId,
      tenure: extension.tenure,
      tenureMonths: extension.tenureMonths,
      customer: { customerId: extension.customerId, name: "", email: extension.customerEmail, phone: "" },
      zohoSalesOrderId: extension.zohoSalesOrderId,
      activationReference: extension.activationReference,
      subscriptionId: extension.subscriptionId,
      periodStart: extension.periodStart,
      expiryDate: extension.expiryDate,
      createdAt: this.clock(),
    });
  }

  async revoke(_revocation: LicenceRevocation): Promise<void> {}
}

/** What operators do with the queue (LicenceTaskService), over the store. */
export class LicenceTaskQueue {
  constructor(
    private readonly store: LicenceTaskStore,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** One page of tasks in `state`, oldest first. A token from another state is refused (InvalidPageToken). */
  async list(state: LicenceTaskState, size: number, pageToken: string): Promise<{ tasks: LicenceTask[]; nextPageToken: string }> {
    const after = pageToken === "" ? undefined : decodePageToken(pageToken, state);
    if (pageToken !== "" && !after) throw new InvalidPageToken();
    const { page, more } = pageOf(await this.store.inState(state), size, after);
    return { tasks: page, nextPageToken: more && page.length > 0 ? encodePageToken(state, page.at(-1)!) : "" };
  }

  complete(orderId: string, reference: string): Promise<{ task: LicenceTask; already: boolean }> {
    return this.change(orderId, (task) => complete(task, reference, this.clock()));
  }

  fail(orderId: string, reason: string): Promise<{ task: LicenceTask; already: boolean }> {
    return this.change(orderId, (task) => fail(task, reason, this.clock()));
  }

  /**
   * The order gave up (it failed while its task waited, e.g. after
   * MANUAL_LICENCE_GIVE_UP_HOURS): its task fails too, so it leaves the
   * queue and its age alert. A finished task is left as it is.
   */
  async abandon(orderId: string, reason: string): Promise<LicenceTask | undefined> {
    const task = await this.store.find(orderId);
    if (task?.state !== "WAITING") return undefined;
    const failed = fail(task, reason, this.clock()).task;
    return (await this.store.finish(failed)) ? failed : undefined;
  }

  private async change(orderId: string, decide: (task: LicenceTask) => { task: LicenceTask; already: boolean }): Promise<{ task: LicenceTask; already: boolean }> {
    for (let tries = 0; tries < 3; tries++) {
      const task = await this.store.find(orderId);
      if (!task) throw new LicenceTaskNotFound(orderId);
      const decision = decide(task);
      if (decision.already || (await this.store.finish(decision.task))) return decision;
      // Someone finished it meanwhile: decide again from what they wrote.
    }
    throw new Error(`the licence task of order ${orderId} keeps changing`);
  }
}

export class InvalidPageToken extends Error {
  constructor() {
    super("page_token is not one this listing gave for this state");
    this.name = "InvalidPageToken";
  }
}

export { unlimitedGate, ZohoApiError, ZohoInventoryClient, type ZohoCallGate, type ZohoClientOptions } from "./adapters/zoho/index.js";
export { KvBudgetStore } from "./adapters/budget-kv.js";
export { ProvisioningReasons } from "./adapters/zoho-errors.js";
export { BudgetExhaustedError, BudgetUnavailableError, CallBudget, InMemoryBudgetStore, type BudgetStore, type CallContext } from "./domain/call-budget.js";
export type { BudgetLimits, BudgetState } from "./domain/budget.js";
export { addMonths } from "./domain/subscription.js";
export { budgetLimits, loadProvisioningConfig } from "./config.js";

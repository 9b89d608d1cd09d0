export { createInMemoryBudgetStore } from './memory-store.js';
export type { BudgetStoreStats, InMemoryBudgetStore, InMemoryBudgetStoreOptions } from './memory-store.js';
export type {
  BudgetQuery,
  BudgetRefusal,
  BudgetStore,
  ChargeResult,
  LineRemaining,
  LineUsage,
  ReserveGranted,
  ReserveLine,
  ReserveRequest,
  ReserveResult,
} from './store.js';
export { BUDGET_SCOPES, BUDGET_UNITS, budgetLimitSchema, featureBudgetSchema } from './schema.js';
export type { BudgetLimit, BudgetScope, BudgetUnit, FeatureBudget, FeatureBudgetConfig, OnExceeded } from './schema.js';
export { CALENDAR_WINDOWS, windowEnd, windowStart, windowTag } from './windows.js';
export type { CalendarWindow, WindowSpec } from './windows.js';
export { budgetKey, keyFor, keyTemplate } from './keys.js';
export type { BudgetSubject, KeyTemplate } from './keys.js';
export { compileFeatureBudget, settleAmounts } from './plan.js';
export type { BudgetPlan, CompiledBudget, PlanInput } from './plan.js';
export { maxOutputFit } from './fit.js';
/** For BudgetStore implementations (e.g. @keel/redis): the same input checks as the in-memory store. */
export { validateAmounts, validateOutputTokens, validateReserve } from './validate.js';

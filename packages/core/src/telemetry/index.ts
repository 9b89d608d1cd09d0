export { createOpenTelemetry } from './open-telemetry.js';
export type { KeelEventSource, KeelTelemetry, OpenTelemetryOptions } from './open-telemetry.js';
export type { ProviderNamer } from './attributes.js';
export { ATTR as TELEMETRY_ATTRIBUTES, METRIC as TELEMETRY_METRICS, SPAN_EVENT as TELEMETRY_SPAN_EVENTS } from './names.js';

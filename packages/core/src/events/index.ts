export { EventHub } from './events.js';
export type { KeelEvent, KeelEventListener, KeelEventType } from './events.js';

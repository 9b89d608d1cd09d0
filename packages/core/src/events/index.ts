export { EventHub } from './events.js';
export type { EventModelRef, KeelEvent, KeelEventListener, KeelEventType } from './events.js';

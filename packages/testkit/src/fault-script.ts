import type { Fault } from './faults.js';
import type { RecordedRequest } from './request-log.js';

/** A queue of faults taken one per request, or a function that picks one per request. */
export type FaultScript = readonly Fault[] | ((request: RecordedRequest) => Fault);

const OK: Fault = { type: 'ok' };

/** Hands out the fault for each arriving request; `replace` swaps the whole script. */
export class FaultQueue {
  #queue: Fault[] = [];
  #pick: ((request: RecordedRequest) => Fault) | undefined;

  constructor(script: FaultScript = []) {
    this.replace(script);
  }

  replace(script: FaultScript): void {
    if (typeof script === 'function') {
      this.#pick = script;
      this.#queue = [];
    } else {
      this.#pick = undefined;
      this.#queue = [...script];
    }
  }

  next(request: RecordedRequest): Fault {
    if (this.#pick) return this.#pick(request);
    return this.#queue.shift() ?? OK;
  }

  /** Faults still waiting in the queue (0 for a function script). */
  get pending(): number {
    return this.#queue.length;
  }
}

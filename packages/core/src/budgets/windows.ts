/** A calendar window, aligned to UTC. */
export type CalendarWindow = 'minute' | 'hour' | 'day' | 'month';
/** A calendar window, or a sliding one of `sliding` milliseconds. */
export type WindowSpec = CalendarWindow | { readonly sliding: number };

export const CALENDAR_WINDOWS: readonly CalendarWindow[] = ['minute', 'hour', 'day', 'month'];

const FIXED_MS: Readonly<Record<Exclude<CalendarWindow, 'month'>, number>> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/**
 * Start of the UTC calendar window that contains `now` (epoch ms). Pure integer arithmetic for
 * minute/hour/day (epoch time has no leap seconds), so a Redis Lua script can mirror it exactly;
 * months use the UTC calendar.
 */
export function windowStart(window: CalendarWindow, now: number): number {
  if (window === 'month') {
    const date = new Date(now);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  }
  const size = FIXED_MS[window];
  return now - (((now % size) + size) % size);
}

/** End (exclusive) of the calendar window that starts at `start`: when its budget resets. */
export function windowEnd(window: CalendarWindow, start: number): number {
  if (window === 'month') {
    const date = new Date(start);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  }
  return start + FIXED_MS[window];
}

/** A short, stable name for a window, used in store keys (`day`, `sliding3600000`). */
export function windowTag(window: WindowSpec): string {
  return typeof window === 'string' ? window : `sliding${window.sliding}`;
}

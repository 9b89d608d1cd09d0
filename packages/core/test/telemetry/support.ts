import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, type Attributes, type Context, type ContextManager, type HrTime } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import type { KeelEvent } from '../../src/index.js';
import { createOpenTelemetry, type OpenTelemetryOptions } from '../../src/telemetry/index.js';

/** A reader that exports nothing: tests pull with `collect()`. */
class PullReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** A telemetry listener wired to an in-memory span exporter and a pull metric reader. */
export function setup(options: Partial<OpenTelemetryOptions> = {}) {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new PullReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const telemetry = createOpenTelemetry({ tracerProvider, meterProvider, ...options });

  async function metric(name: string) {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((m) => m.descriptor.name === name);
  }

  return {
    telemetry,
    tracerProvider,
    emit: (...events: KeelEvent[]) => events.forEach((event) => telemetry.listener(event)),
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    span(name: string): ReadableSpan {
      const found = exporter.getFinishedSpans().filter((s) => s.name === name);
      if (found.length !== 1) throw new Error(`expected one span "${name}", got ${found.length}: ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
      return found[0]!;
    },
    metric,
    /** Data points of a counter: value by attributes. */
    async sums(name: string): Promise<{ attributes: Attributes; value: number }[]> {
      const data = await metric(name);
      return (data?.dataPoints ?? []).map((p) => ({ attributes: p.attributes, value: p.value as number }));
    },
    async histograms(name: string): Promise<DataPoint<Histogram>[]> {
      const data = await metric(name);
      return (data?.dataPoints ?? []) as DataPoint<Histogram>[];
    },
  };
}

export const ms = (time: HrTime): number => time[0] * 1000 + time[1] / 1e6;
export const durationMs = (span: ReadableSpan): number => ms(span.duration);
export const parentId = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;
export const spanId = (span: ReadableSpan): string => span.spanContext().spanId;

/** Everything a span carries as text: name, attributes, events and their attributes, status. */
export function spanText(span: ReadableSpan): string {
  return JSON.stringify([span.name, span.attributes, span.events.map((e) => [e.name, e.attributes]), span.status]);
}

/** A minimal AsyncLocalStorage context manager (the SDK's lives in a package core does not install). */
export class TestContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.#storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_context: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#storage.disable();
    return this;
  }
}

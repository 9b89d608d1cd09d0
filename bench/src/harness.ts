/**
 * A small, deliberate measuring loop. Scenarios that are compared with each other run in the
 * same process, interleaved: every round runs one batch of each (in a rotating order), so drift
 * in CPU clock, JIT state or heap pressure lands on all of them alike instead of on whichever ran
 * last. Every call is timed on its own with `process.hrtime.bigint()` (~50 ns). Garbage is
 * collected when V8 decides, so each scenario pays for the garbage it makes. (A forced full GC
 * between batches was tried and dropped: it made the calls right after it several times slower.)
 */

export interface Scenario {
  /** Stable key in the JSON output. */
  readonly id: string;
  readonly label: string;
  /** One complete call: the promise settles when the whole answer has been read. */
  readonly call: () => Promise<unknown>;
}

export interface MeasureOptions {
  /** Untimed calls per scenario before measuring (JIT, connection pools, caches). */
  readonly warmupCalls: number;
  readonly rounds: number;
  /** Timed calls per scenario per round. */
  readonly batch: number;
}

export interface Stats {
  readonly samples: number;
  readonly medianUs: number;
  readonly p99Us: number;
  readonly meanUs: number;
  /** Sequential throughput, one call in flight: 1e6 / mean µs. */
  readonly opsPerSec: number;
}

export interface CpuStats {
  /**
   * CPU time the process spent per call (user + system, every thread: GC helpers included),
   * from `process.cpuUsage()` around each batch; the median over batches. Time the OS gave to
   * other processes is not in it, so on a shared machine it is steadier than wall time.
   */
  readonly cpuUsPerCall: number;
}

export interface Measured {
  readonly scenario: Scenario;
  readonly stats: Stats & CpuStats;
  /** The median of each round's batch, for paired comparisons and stability. */
  readonly roundMediansUs: readonly number[];
  /** CPU µs per call of each round's batch. */
  readonly roundCpuUs: readonly number[];
}

export async function measure(scenarios: readonly Scenario[], options: MeasureOptions): Promise<Map<string, Measured>> {
  for (const scenario of scenarios) for (let i = 0; i < options.warmupCalls; i++) await scenario.call();

  const samples = new Map(scenarios.map((s) => [s.id, new Float64Array(options.rounds * options.batch)]));
  const roundMedians = new Map<string, number[]>(scenarios.map((s) => [s.id, []]));
  const roundCpu = new Map<string, number[]>(scenarios.map((s) => [s.id, []]));
  const batchTimes = new Float64Array(options.batch);

  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < scenarios.length; k++) {
      const scenario = scenarios[(round + k) % scenarios.length]!;
      const into = samples.get(scenario.id)!;
      const cpuStart = process.cpuUsage();
      for (let i = 0; i < options.batch; i++) {
        const start = process.hrtime.bigint();
        await scenario.call();
        const us = Number(process.hrtime.bigint() - start) / 1_000;
        batchTimes[i] = us;
        into[round * options.batch + i] = us;
      }
      const cpu = process.cpuUsage(cpuStart);
      roundCpu.get(scenario.id)!.push((cpu.user + cpu.system) / options.batch);
      roundMedians.get(scenario.id)!.push(quantile(sorted(batchTimes), 0.5));
    }
  }

  return new Map(
    scenarios.map((scenario) => [
      scenario.id,
      {
        scenario,
        stats: { ...summarize(samples.get(scenario.id)!), cpuUsPerCall: quantile(sorted(Float64Array.from(roundCpu.get(scenario.id)!)), 0.5) },
        roundMediansUs: roundMedians.get(scenario.id)!,
        roundCpuUs: roundCpu.get(scenario.id)!,
      },
    ]),
  );
}

export interface ThroughputOptions {
  /** Calls in flight at once. */
  readonly concurrency: number;
  /** Calls per scenario per round, spread over the workers. */
  readonly callsPerRound: number;
  readonly rounds: number;
  /** Untimed rounds' worth of calls before measuring. */
  readonly warmupRounds: number;
}

export interface Throughput {
  readonly scenario: Scenario;
  /** Median over rounds of calls completed per second. */
  readonly opsPerSec: number;
  /** Each round's calls per second, for paired ratios. */
  readonly roundOpsPerSec: readonly number[];
}

/**
 * Calls per second with `concurrency` calls in flight: every round runs `callsPerRound` calls of
 * each scenario (rotating order, as `measure`) through that many workers, timed as a whole.
 */
export async function measureThroughput(scenarios: readonly Scenario[], options: ThroughputOptions): Promise<Map<string, Throughput>> {
  const burst = async (scenario: Scenario): Promise<number> => {
    let left = options.callsPerRound;
    const worker = async () => {
      while (left-- > 0) await scenario.call();
    };
    const start = process.hrtime.bigint();
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    return (options.callsPerRound * 1e9) / Number(process.hrtime.bigint() - start);
  };
  for (let i = 0; i < options.warmupRounds; i++) for (const scenario of scenarios) await burst(scenario);
  const perRound = new Map<string, number[]>(scenarios.map((s) => [s.id, []]));
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < scenarios.length; k++) {
      const scenario = scenarios[(round + k) % scenarios.length]!;
      perRound.get(scenario.id)!.push(await burst(scenario));
    }
  }
  return new Map(
    scenarios.map((scenario) => {
      const rounds = perRound.get(scenario.id)!;
      return [scenario.id, { scenario, opsPerSec: median(rounds), roundOpsPerSec: rounds }];
    }),
  );
}

/** `b`'s throughput over `a`'s: the median of the round-by-round ratios (both ran in every round). */
export function throughputRatio(a: Throughput, b: Throughput): number {
  return median(a.roundOpsPerSec.map((ops, i) => b.roundOpsPerSec[i]! / ops));
}

export function median(values: readonly number[]): number {
  return quantile(sorted(Float64Array.from(values)), 0.5);
}

export function summarize(values: Float64Array): Stats {
  const ordered = sorted(values);
  let sum = 0;
  for (const value of ordered) sum += value;
  const mean = sum / ordered.length;
  return {
    samples: ordered.length,
    medianUs: quantile(ordered, 0.5),
    p99Us: quantile(ordered, 0.99),
    meanUs: mean,
    opsPerSec: 1e6 / mean,
  };
}

/**
 * What `b` adds to `a`: the difference of their overall medians, and the spread of the same
 * difference taken round by round (both ran in every round), which shows how stable it is.
 */
export function added(a: Measured, b: Measured): Added {
  const us = b.stats.medianUs - a.stats.medianUs;
  const cpuUs = b.stats.cpuUsPerCall - a.stats.cpuUsPerCall;
  return {
    us,
    ratio: us / a.stats.medianUs,
    roundIqrUs: iqr(a.roundMediansUs.map((am, i) => b.roundMediansUs[i]! - am)),
    cpuUs,
    cpuRatio: cpuUs / a.stats.cpuUsPerCall,
    cpuRoundIqrUs: iqr(a.roundCpuUs.map((ac, i) => b.roundCpuUs[i]! - ac)),
  };
}

export interface Added {
  /** Difference of the overall wall-time medians, µs per call. */
  readonly us: number;
  /** `us` over the baseline's median. */
  readonly ratio: number;
  /** The same difference taken round by round (both ran in every round): its 25th and 75th percentile. */
  readonly roundIqrUs: readonly [number, number];
  /** Difference of the CPU time per call. */
  readonly cpuUs: number;
  readonly cpuRatio: number;
  readonly cpuRoundIqrUs: readonly [number, number];
}

function iqr(values: number[]): [number, number] {
  const ordered = sorted(Float64Array.from(values));
  return [quantile(ordered, 0.25), quantile(ordered, 0.75)];
}

function sorted(values: Float64Array): Float64Array {
  return Float64Array.from(values).sort();
}

/** Linear interpolation between the closest ranks (R-7, as numpy's default). */
function quantile(ordered: Float64Array, q: number): number {
  const position = (ordered.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.min(low + 1, ordered.length - 1);
  return ordered[low]! + (ordered[high]! - ordered[low]!) * (position - low);
}

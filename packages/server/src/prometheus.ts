import type { Metric, Registry } from 'prom-client'
import type { EmitterStats } from './options.js'

type Stats = EmitterStats

/** Anything with the emitter's `stats()`: an `Emitter`, or a wrapper around several. */
export interface StatsSource {
  stats(): EmitterStats
}

/** Options of {@link registerEmitterMetrics}. */
export interface EmitterMetricsOptions {
  /** The prom-client registry to add the metrics to (its default one is `register`). */
  readonly registry: Registry
  /**
   * Prepended to every metric name; give each emitter its own when a process has several.
   * @defaultValue 'tidings_'
   */
  readonly prefix?: string | undefined
  /** Constant labels added to every sample, such as `{ app: 'chat' }`. */
  readonly labels?: Readonly<Record<string, string>> | undefined
}

type Sample = { value: number; labels: Record<string, string | number>; metricName?: string }
type Kind = 'counter' | 'gauge' | 'histogram'

interface Definition {
  readonly name: string
  readonly help: string
  readonly type: Kind
  /** The samples for one reading of `stats()`. */
  readonly read: (stats: Stats) => Sample[]
}

const byLabel = (
  label: string,
  values: Readonly<Record<string, number>> | undefined,
): Array<[Record<string, string>, number]> =>
  Object.entries(values ?? {}).map(([key, value]) => [{ [label]: key }, value])

/** Which metrics the emitter's stats can feed: every field present, nothing else. */
function definitions(prefix: string): Definition[] {
  const scalar = (
    name: string,
    type: Kind,
    help: string,
    value: (stats: Stats) => number,
  ): Definition => ({
    name: prefix + name,
    help,
    type,
    read: (stats) => [{ value: value(stats), labels: {} }],
  })
  const labelled = (
    name: string,
    help: string,
    label: string,
    values: (stats: Stats) => Readonly<Record<string, number>> | undefined,
  ): Definition => ({
    name: prefix + name,
    help,
    type: 'counter',
    read: (stats) => byLabel(label, values(stats)).map(([labels, value]) => ({ value, labels })),
  })

  const list: Definition[] = [
    {
      name: `${prefix}connections`,
      help: 'Streams open now, by transport.',
      type: 'gauge',
      read: (stats) =>
        byLabel('transport', stats.connectionsByTransport).map(([labels, value]) => ({
          value,
          labels,
        })),
    },
    scalar(
      'connections_opened_total',
      'counter',
      'Streams opened since the emitter was created.',
      (s) => s.connectionsOpened,
    ),
    scalar(
      'events_emitted_total',
      'counter',
      'Events emitted, each counted once whatever the number of receivers.',
      (s) => s.eventsEmitted,
    ),
    scalar(
      'bytes_written_total',
      'counter',
      'Bytes handed to transports, over all connections.',
      (s) => s.bytesWritten,
    ),
    scalar(
      'events_dropped_total',
      'counter',
      'Events queued for slow consumers when they were cut off (they resume from history).',
      (s) => s.eventsDropped,
    ),
    scalar(
      'slow_consumers_total',
      'counter',
      'Connections cut off for passing maxBufferBytes.',
      (s) => s.slowConsumers,
    ),
    scalar(
      'requests_rejected_total',
      'counter',
      'Requests answered with an error status.',
      (s) => s.requestsRejected,
    ),
    scalar(
      'replays_total',
      'counter',
      'Streams that started with a replay (a resume or ?replay=N).',
      (s) => s.replays,
    ),
    scalar(
      'ended_replies_total',
      'counter',
      'Requests for topics that had all ended, answered 204 (the client had everything).',
      (s) => s.endedReplies,
    ),
    scalar(
      'ended_topics',
      'gauge',
      'Ended topics the emitter remembers now (bounded by the ended option).',
      (s) => s.endedTopics,
    ),
    scalar(
      'history_reads_total',
      'counter',
      'History pages answered as JSON (GET with Accept: application/json).',
      (s) => s.historyReads,
    ),
    labelled(
      'gaps_total',
      'Gap events sent, by reason: the client was told it may have missed events.',
      'reason',
      (s) => s.gaps,
    ),
    labelled('rejections_total', 'Refused requests, by error code.', 'code', (s) => s.rejections),
  ]
  {
    const name = `${prefix}emit_to_write_seconds`
    list.push({
      name,
      help: 'Time from emit to the write of the event on a connection.',
      type: 'histogram',
      read: ({ emitToWrite }) => {
        // Prometheus buckets are cumulative and in seconds; the emitter's are neither.
        let cumulative = 0
        const buckets = emitToWrite.bucketsMs.map((ms, index) => {
          cumulative += emitToWrite.counts[index] ?? 0
          return { value: cumulative, labels: { le: ms / 1000 }, metricName: `${name}_bucket` }
        })
        return [
          ...buckets,
          { value: emitToWrite.count, labels: { le: '+Inf' }, metricName: `${name}_bucket` },
          { value: emitToWrite.sumMs / 1000, labels: {}, metricName: `${name}_sum` },
          { value: emitToWrite.count, labels: {}, metricName: `${name}_count` },
        ]
      },
    })
  }
  return list
}

/**
 * Exposes an emitter's `stats()` as Prometheus metrics in a prom-client
 * registry. Nothing polls: each scrape reads `stats()` once, whichever metrics
 * it asks for. Every field `stats()` has becomes a metric (counters with
 * `_total`, the open connections as a gauge labelled by transport when the
 * emitter counts them so, gaps by `reason`, rejections by `code`, the emit to
 * write latency as a histogram in seconds); `headId` is not a number and is left out.
 *
 * prom-client is an optional peer dependency: only this entry point needs it.
 *
 * @returns a function that removes the metrics from the registry
 * @throws the registry's own error when a metric of the same name exists (give
 * a second emitter another `prefix`)
 * @example
 * import { register } from 'prom-client'
 * import { registerEmitterMetrics } from '@tidings/server/prometheus'
 *
 * registerEmitterMetrics(emitter, { registry: register })
 * // GET /metrics: res.end(await register.metrics())
 */
export function registerEmitterMetrics(
  emitter: StatsSource,
  options: EmitterMetricsOptions,
): () => void {
  const { registry, prefix = 'tidings_', labels = {} } = options
  // One reading per scrape: the registry asks every metric in the same tick.
  let cached: Stats | undefined
  const read = (): Stats => {
    if (!cached) {
      cached = emitter.stats()
      queueMicrotask(() => {
        cached = undefined
      })
    }
    return cached
  }

  const metrics = definitions(prefix).map((definition) => {
    // The shape prom-client's registry reads from its own metric classes
    // (name, help, type, aggregator, get()). Its classes cannot take a
    // histogram's counts from outside, nor a counter's value without a reset.
    const metric = {
      name: definition.name,
      help: definition.help,
      type: definition.type,
      aggregator: 'sum',
      collect: () => {},
      get: async () => ({
        name: definition.name,
        help: definition.help,
        type: definition.type,
        aggregator: 'sum',
        values: definition
          .read(read())
          .map((sample) => ({ ...sample, labels: { ...sample.labels, ...labels } })),
      }),
    }
    registry.registerMetric(metric as unknown as Metric)
    return definition.name
  })

  return () => {
    for (const name of metrics) registry.removeSingleMetric(name)
  }
}

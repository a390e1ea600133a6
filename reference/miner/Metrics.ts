/**
 * Prometheus metrics of the miner, served at /metrics. The off-chain half updates the ingest, verify,
 * route and feed series; the gauges and counters under "chain half" are declared here so the chain
 * half only sets them (and so dashboards see them, at zero, from the first scrape).
 */
import { Effect, Metric } from "effect"
import { PrometheusMetrics } from "effect/observability"

export const PREFIX = "dotdns_miner"

// ------------------------------------------------------------------------------------------ ingest
export const ingestRequests = Metric.counter("ingest_requests_total", { description: "POST /v1/receipts requests by body format", incremental: true })
export const receiptsTotal = Metric.counter("receipts_total", { description: "receipts by outcome (accepted, duplicate, rejected)", incremental: true })
export const receiptsRejected = Metric.counter("receipts_rejected_total", { description: "rejected receipts by the rule they broke", incremental: true })
export const ingestRate = Metric.gauge("ingest_receipts_per_second", { description: "receipts ingested per second over the last 10 s" })
export const ingestLatency = Metric.histogram("ingest_batch_seconds", {
  description: "time from a batch's arrival to its durable acknowledgement",
  boundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
})
export const commitBatchSize = Metric.histogram("commit_receipts", {
  description: "receipts per storage commit (group commit)",
  boundaries: [1, 10, 100, 500, 1000, 2500, 5000, 10000, 25000]
})

// ------------------------------------------------------------------------------------------ verify
export const verifyFailures = Metric.counter("verify_failures_total", { description: "receipts whose witness signature did not verify", incremental: true })
export const verifyQueueDepth = Metric.gauge("verify_queue_depth", { description: "receipt chunks queued or running on verify workers" })
export const verifyPending = Metric.gauge("verify_pending_receipts", { description: "receipts waiting for or in verification" })
export const verifyWorkers = Metric.gauge("verify_workers", { description: "verify worker threads" })

// ------------------------------------------------------------------------------------------ chain views
export const currentEpoch = Metric.gauge("current_epoch", { description: "the protocol epoch the miner's clock reads" })
export const rpcLatency = Metric.histogram("rpc_request_seconds", {
  description: "Solana JSON-RPC request latency",
  boundaries: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
})
export const rpcErrors = Metric.counter("rpc_errors_total", { description: "failed Solana JSON-RPC requests", incremental: true })

// ------------------------------------------------------------------------------------------ routes, feed
export const routesTotal = Metric.counter("routes_total", { description: "route record submissions by outcome", incremental: true })
export const feedSubscribers = Metric.gauge("feed_subscribers", { description: "open feed connections (WebSocket and SSE)" })
export const eventCursor = Metric.gauge("event_cursor", { description: "newest event-log cursor" })

// ------------------------------------------------------------------------------------------ chain half
export const submissionsTotal = Metric.counter("submissions_total", { description: "aggregate submissions by status (chain half)", incremental: true })
export const submissionsPending = Metric.gauge("submissions_pending", { description: "submissions prepared or sent, not yet confirmed (chain half)" })
export const challengesOpen = Metric.gauge("challenges_open", { description: "open challenges against this miner's aggregates (chain half)" })
export const challengesTotal = Metric.counter("challenges_total", { description: "challenges seen, by outcome (chain half)", incremental: true })
export const computeUnitsLast = Metric.gauge("compute_units_last", { description: "compute units of the last transaction sent (chain half)" })
export const computeUnitsTotal = Metric.counter("compute_units_total", { description: "compute units consumed by sent transactions (chain half)", incremental: true })

/** Every series, so they are registered (and exported at zero) before first use. */
export const ALL = [
  ingestRequests, receiptsTotal, receiptsRejected, ingestRate, ingestLatency, commitBatchSize, verifyFailures, verifyQueueDepth, currentEpoch, rpcLatency, rpcErrors,
  verifyPending, verifyWorkers, routesTotal, feedSubscribers, eventCursor, submissionsTotal, submissionsPending, challengesOpen,
  challengesTotal, computeUnitsLast, computeUnitsTotal
] as const

export const registerAll = Effect.forEach(ALL, (m) => Metric.value(m as Metric.Metric<never, unknown>), { discard: true })

/** The Prometheus text exposition of every metric. */
export const render = PrometheusMetrics.format({ prefix: PREFIX })

export const count = (counter: Metric.Metric<number, unknown>, n: number, attributes?: Record<string, string>) =>
  n === 0 ? Effect.void : Metric.update(attributes === undefined ? counter : Metric.withAttributes(counter, attributes), n)

/**
 * Per-source token buckets for gateway mode: each source address may send `rate` queries per second
 * on average and `burst` at once. The table is bounded; when it is full the oldest sources are
 * forgotten (they start again with a full bucket, which only ever errs towards answering).
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; last: number }>()
  private readonly rate: number
  private readonly burst: number
  private readonly maxSources: number

  constructor(rate: number, burst: number, maxSources: number) {
    this.rate = rate
    this.burst = burst
    this.maxSources = maxSources
  }

  /** Takes one token for `source` at `now` (ms); false when the bucket is empty. */
  take(source: string, now: number): boolean {
    let b = this.buckets.get(source)
    if (b === undefined) {
      if (this.buckets.size >= this.maxSources) {
        const drop = Math.max(1, this.maxSources >> 4)
        const it = this.buckets.keys()
        for (let i = 0; i < drop; i++) this.buckets.delete(it.next().value!)
      }
      b = { tokens: this.burst, last: now }
      this.buckets.set(source, b)
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.last) * this.rate) / 1000)
      b.last = now
    }
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }

  get size(): number {
    return this.buckets.size
  }
}

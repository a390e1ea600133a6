// Shard 2 of the differential test (see differential.ts): split so vitest runs the shards in parallel.
import { differentialShard } from "./differential.ts"

differentialShard(2)

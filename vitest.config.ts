import { defineConfig } from "vitest/config"

/**
 * Two projects: everything (the program's lockstep tests on LiteSVM), and the program's scenario files
 * once more on solana-bankrun (`DOTDNS_RUNTIME=bankrun`; see programs/dotdns/README.md). The compute-unit
 * test, the IDL test and differential shards 2..4 stay on LiteSVM;
 * runtime.test.ts drives both runtimes itself.
 */
const BANKRUN_SCENARIOS = ["programs/dotdns/test/*.test.ts"]
const LITESVM_ONLY = [
  "programs/dotdns/test/cu.test.ts",
  "programs/dotdns/test/differential-{2,3,4}.test.ts",
  "programs/dotdns/test/runtime.test.ts",
  "programs/dotdns/test/idl.test.ts"
]
const EXCLUDE = ["node_modules/**", "site/.vitepress/**"]

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: "default", include: ["**/*.test.ts"], exclude: EXCLUDE } },
      {
        extends: true,
        test: { name: "bankrun", include: BANKRUN_SCENARIOS, exclude: [...EXCLUDE, ...LITESVM_ONLY], env: { DOTDNS_RUNTIME: "bankrun" } }
      }
    ]
  }
})

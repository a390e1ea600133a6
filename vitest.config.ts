import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "site/.vitepress/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000
  }
})

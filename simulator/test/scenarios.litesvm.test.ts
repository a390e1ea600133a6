import { scenarioSuite } from "./run-all.ts"

scenarioSuite("litesvm")

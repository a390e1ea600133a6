/** The default VitePress theme with the spec's styles (rule anchors, permalinks) and rule highlighting. */
import type { Theme } from "vitepress"
import DefaultTheme from "vitepress/theme"
import { h } from "vue"
import RuleTarget from "./RuleTarget.vue"
import "./custom.css"

const theme: Theme = {
  extends: DefaultTheme,
  Layout: () => h(DefaultTheme.Layout, null, { "layout-bottom": () => h(RuleTarget) })
}

export default theme

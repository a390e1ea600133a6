/** Stylesheets and single-file components are imported for Vite to bundle. */
declare module "*.css" {}

declare module "*.vue" {
  import type { DefineComponent } from "vue"
  const component: DefineComponent
  export default component
}

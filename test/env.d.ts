import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    // The app's bindings come from worker-configuration.d.ts; tests add the migrations.
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** wrangler.toml's [assets] (public/), which the deployment serves before the Worker. */
      ASSETS: Fetcher;
    }
  }
}

// The browser apps' client-side routes through the Worker: each answers with its app's
// index.html and the pages' headers (CSP: only this origin); a missing file stays a 404.
import { describe, expect, it } from "vitest";
import { api, expectProblem } from "./helpers";

describe("browser apps", () => {
  for (const app of ["account", "console"]) {
    it(`/${app}/… client-side routes get the app's page with a same-origin CSP`, async () => {
      const res = await api("GET", `/${app}/some/deep/route?x=1`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(res.text).toMatch(
        new RegExp(`<script type="module" src="/${app}/assets/app-\\w+\\.js">`),
      );
      expect(res.text).not.toMatch(/<script>|<style>|https?:\/\//);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("cache-control")).toBe("no-cache");
    });

    it(`/${app}/assets/… that does not exist is a 404, not the page`, async () => {
      expectProblem(await api("GET", `/${app}/assets/app-GONE1234.js`), 404, "not_found");
    });
  }

  it("other paths are still the API's 404", async () => {
    expectProblem(await api("GET", "/accounting"), 404, "not_found");
  });
});

import { describe, expect, it } from "vitest";
import { pathMatcher } from "../src/lib/paths";

describe("pathMatcher", () => {
  it("reads Hono's and OpenAPI's parameters alike, one segment each", () => {
    for (const route of ["/v1/admin/users/:id/usage", "/v1/admin/users/{id}/usage"]) {
      const matcher = pathMatcher(route);
      expect(matcher.test("/v1/admin/users/usr_1/usage")).toBe(true);
      expect(matcher.test("/v1/admin/users/usr_1/x/usage")).toBe(false);
      expect(matcher.test("/v1/admin/users//usage")).toBe(false);
      expect(matcher.test("/v1/admin/users/usr_1/usage/extra")).toBe(false);
    }
  });

  it("takes everything else literally", () => {
    expect(pathMatcher("/openapi.json").test("/openapi.json")).toBe(true);
    expect(pathMatcher("/openapi.json").test("/openapiXjson")).toBe(false);
  });
});

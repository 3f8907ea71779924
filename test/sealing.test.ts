// Secrets sealed at rest (src/lib/sealing.ts): they open only with the same key, purpose and
// context, and sealing the same value twice never gives the same text.
import { describe, expect, it } from "vitest";
import { seal, unseal } from "../src/lib/sealing";

const key = { secret: "a-configured-secret-of-at-least-32-chars", purpose: "test secrets" };

describe("sealing", () => {
  it("opens what it sealed, for the same context only", async () => {
    const sealed = await seal(key, "tgsec_abc", "act_1");
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    expect(await unseal(key, sealed, "act_1")).toBe("tgsec_abc");
    await expect(unseal(key, sealed, "act_2")).rejects.toThrow();
    await expect(unseal({ ...key, purpose: "other" }, sealed, "act_1")).rejects.toThrow();
    await expect(unseal({ ...key, secret: `${key.secret}!` }, sealed, "act_1")).rejects.toThrow();
    await expect(unseal(key, "tgsec_abc", "act_1")).rejects.toThrow("not a sealed value");
  });

  it("uses a fresh IV each time", async () => {
    expect(await seal(key, "same", "ctx")).not.toBe(await seal(key, "same", "ctx"));
  });
});

// The console's list filters (URL ↔ filters ↔ API query) and its colours per plan, standing and
// status, each of which passes WCAG AA contrast.
import { describe, expect, it } from "vitest";
import {
  contrastRatio,
  humanize,
  planTone,
  STANDING_TONES,
  STATUS_TONES,
  TONES,
} from "../web/console/colours";
import {
  hasFilters,
  listPath,
  PAYMENT_FILTERS,
  queryString,
  readFilters,
  searchTarget,
  USER_FILTERS,
  usersPath,
  WEBHOOK_FILTERS,
} from "../web/console/query";

describe("filters", () => {
  it("reads known values from the URL and drops unknown ones", () => {
    expect(
      readFilters(USER_FILTERS, "?q=%20ada%20&plan=pro&standing=past_due&status=nope"),
    ).toEqual({
      q: "ada",
      plan: "pro",
      standing: "past_due",
      status: "",
    });
    expect(readFilters(USER_FILTERS, "")).toEqual({ q: "", plan: "", standing: "", status: "" });
    expect(readFilters(WEBHOOK_FILTERS, "status=failed&provider=venmo")).toEqual({
      status: "failed",
      provider: "",
    });
    expect(readFilters(USER_FILTERS, `?q=${"x".repeat(300)}`).q).toHaveLength(254);
  });

  it("writes only the filters that are set, encoded", () => {
    expect(queryString({ q: "a&b=c", plan: "", standing: null, usage: false, limit: 25 })).toBe(
      "?q=a%26b%3Dc&limit=25",
    );
    expect(queryString({ q: "" })).toBe("");
  });

  it("round-trips: the URL written from filters reads back as the same filters", () => {
    const filters = { q: "ada+test@x.com", plan: "pro", standing: "good", status: "active" };
    expect(readFilters(USER_FILTERS, queryString(filters))).toEqual(filters);
  });

  it("builds the users route's query: email search, plan lower-cased, usage, page", () => {
    expect(
      usersPath(
        { q: "ada", plan: "Pro", standing: "restricted", status: "" },
        { usage: true, limit: 25, cursor: "abc" },
      ),
    ).toBe("/v1/admin/users?email=ada&plan=pro&standing=restricted&usage=true&limit=25&cursor=abc");
    expect(usersPath({ q: "", plan: "", standing: "", status: "" })).toBe("/v1/admin/users");
  });

  it("builds any list route's query", () => {
    const filters = readFilters(PAYMENT_FILTERS, "?status=failed&user_id=usr_1");
    expect(listPath("/v1/admin/payments", filters, { limit: 100 })).toBe(
      "/v1/admin/payments?status=failed&user_id=usr_1&limit=100",
    );
    expect(hasFilters(filters)).toBe(true);
    expect(hasFilters(readFilters(PAYMENT_FILTERS, ""))).toBe(false);
  });

  it("opens a user's page for a pasted id, searches emails otherwise", () => {
    expect(searchTarget(" usr_3k9v2m8d ")).toEqual({ kind: "user", id: "usr_3k9v2m8d" });
    expect(searchTarget("usr_")).toEqual({ kind: "email", q: "usr_" });
    expect(searchTarget("ada@")).toEqual({ kind: "email", q: "ada@" });
  });
});

describe("colours", () => {
  it("gives the seeded plans fixed tones and any other plan a stable one", () => {
    expect(planTone("free")).toBe(TONES.grey);
    expect(planTone("basic")).toBe(TONES.blue);
    expect(planTone("pro")).toBe(TONES.violet);
    expect(planTone("enterprise")).toBe(TONES.teal);
    expect(planTone("team")).toBe(planTone("team"));
    const spread = new Set(
      ["team", "startup", "scale", "agency", "edu", "nonprofit"].map((c) => planTone(c).name),
    );
    expect(spread.size).toBeGreaterThan(1);
  });

  it("colours standings from green to red, and statuses", () => {
    expect(STANDING_TONES.good).toBe(TONES.green);
    expect(STANDING_TONES.past_due).toBe(TONES.amber);
    expect(STANDING_TONES.restricted).toBe(TONES.orange);
    expect(STANDING_TONES.suspended).toBe(TONES.red);
    expect(STATUS_TONES.disabled).toBe(TONES.amber);
  });

  it("computes WCAG contrast ratios", () => {
    expect(contrastRatio("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrastRatio("#ffffff", "#ffffff")).toBe(1);
    expect(contrastRatio("#767676", "#ffffff")).toBeCloseTo(4.54, 2);
  });

  it("keeps every tone's text at 4.5:1 or more on its tint and on white", () => {
    for (const tone of Object.values(TONES)) {
      expect(contrastRatio(tone.fg, tone.bg), tone.name).toBeGreaterThanOrEqual(4.5);
      expect(contrastRatio(tone.fg, "#ffffff"), tone.name).toBeGreaterThanOrEqual(4.5);
    }
  });

  it("humanizes machine values", () => {
    expect(humanize("past_due")).toBe("Past due");
    expect(humanize("good")).toBe("Good");
    expect(humanize("")).toBe("");
  });
});

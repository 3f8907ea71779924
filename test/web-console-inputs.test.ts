// The console's form input: decimal amounts to exact minor units, blank limits as unlimited,
// local date-times, and the plan and coupon bodies the admin API takes.
import { describe, expect, it } from "vitest";
import {
  couponBody,
  InputError,
  isoToLocal,
  localToIso,
  parseJsonObject,
  parseMinor,
  parseOptionalCount,
  planBody,
} from "../web/console/inputs";

const digitsOf = (c: string) => (c === "jpy" ? 0 : c === "kwd" ? 3 : 2);

function fails(f: () => unknown, path: string): string {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).path).toBe(path);
    return (error as InputError).message;
  }
  throw new Error("did not fail");
}

describe("parseMinor", () => {
  it("turns decimals into minor units exactly", () => {
    expect(parseMinor("12.34", 2, "a")).toBe(1234);
    expect(parseMinor("12", 2, "a")).toBe(1200);
    expect(parseMinor("0.5", 2, "a")).toBe(50);
    expect(parseMinor("12.", 2, "a")).toBe(1200);
    expect(parseMinor(" 1,234.50 ", 2, "a")).toBe(123450);
    expect(parseMinor("0.07", 2, "a")).toBe(7); // 0.07 * 100 is 7.000000000000001 in floats
    expect(parseMinor("500", 0, "a")).toBe(500);
    expect(parseMinor("1.234", 3, "a")).toBe(1234);
  });

  it("refuses what is not an amount of the currency", () => {
    expect(fails(() => parseMinor("1.234", 2, "prices.month"), "prices.month")).toMatch(
      /2 decimals/,
    );
    expect(fails(() => parseMinor("5.5", 0, "amount"), "amount")).toMatch(/no decimals/);
    for (const bad of ["", "-1", "abc", "1e3", "1.2.3", "$5"])
      fails(() => parseMinor(bad, 2, "x"), "x");
    fails(() => parseMinor("99999999999999999999", 2, "x"), "x");
  });
});

describe("counts, dates and JSON", () => {
  it("reads a blank count as none, and whole numbers only", () => {
    expect(parseOptionalCount("", "l")).toBeNull();
    expect(parseOptionalCount(" 1,000 ", "l")).toBe(1000);
    expect(parseOptionalCount("0", "l")).toBe(0);
    fails(() => parseOptionalCount("1.5", "l"), "l");
    fails(() => parseOptionalCount("-3", "l"), "l");
  });

  it("converts local date-times to ISO and back", () => {
    const iso = localToIso("2031-01-31T18:05", "expires_at");
    expect(iso).toBe(new Date(2031, 0, 31, 18, 5).toISOString());
    expect(isoToLocal(iso)).toBe("2031-01-31T18:05");
    expect(localToIso(" ", "expires_at")).toBeNull();
    expect(isoToLocal(null)).toBe("");
    fails(() => localToIso("2031-02-30T10:00", "expires_at"), "expires_at");
    fails(() => localToIso("tomorrow", "expires_at"), "expires_at");
  });

  it("reads a JSON object, and nothing else", () => {
    expect(parseJsonObject('{"max_api_keys": 5, "beta": true}', "features")).toEqual({
      max_api_keys: 5,
      beta: true,
    });
    expect(parseJsonObject("  ", "features")).toEqual({});
    fails(() => parseJsonObject("[1]", "features"), "features");
    fails(() => parseJsonObject("{oops", "features"), "features");
  });
});

describe("planBody", () => {
  const form = {
    code: " Team ",
    name: " Team ",
    description: "",
    currency: "USD",
    "prices.month": "29",
    "prices.year": "290.00",
    trial_days: "14",
    "limits.minute": "60",
    "limits.hour": "",
    "limits.day": "10,000",
    "limits.month": "",
    features: '{"max_api_keys": 10}',
    "provider_ids.stripe_price_month": "price_123",
    "provider_ids.stripe_price_year": "",
    "provider_ids.paypal_plan_month": "",
    "provider_ids.paypal_plan_year": "",
    sort_order: "3",
  };

  it("makes the create body: minor units, null for unlimited and for no provider id", () => {
    expect(planBody(form, digitsOf, "create")).toEqual({
      code: "team",
      name: "Team",
      description: null,
      currency: "usd",
      prices: { month: 2900, year: 29000 },
      trial_days: 14,
      limits: { minute: 60, hour: null, day: 10000, month: null },
      features: { max_api_keys: 10 },
      provider_ids: {
        stripe_price_month: "price_123",
        stripe_price_year: null,
        paypal_plan_month: null,
        paypal_plan_year: null,
      },
      sort_order: 3,
    });
  });

  it("leaves the code out of an edit, and prices follow the currency's digits", () => {
    const body = planBody(
      { ...form, currency: "jpy", "prices.month": "500", "prices.year": "5000" },
      digitsOf,
      "edit",
    );
    expect(body).not.toHaveProperty("code");
    expect(body.prices).toEqual({ month: 500, year: 5000 });
    fails(
      () => planBody({ ...form, currency: "jpy", "prices.month": "5.5" }, digitsOf, "edit"),
      "prices.month",
    );
    fails(() => planBody({ ...form, currency: "dollars" }, digitsOf, "edit"), "currency");
    fails(() => planBody({ ...form, "limits.hour": "lots" }, digitsOf, "edit"), "limits.hour");
    expect(planBody({ ...form, sort_order: "-5" }, digitsOf, "edit").sort_order).toBe(-5);
    fails(() => planBody({ ...form, sort_order: "1.5" }, digitsOf, "edit"), "sort_order");
  });
});

describe("couponBody", () => {
  const form = {
    code: "launch20",
    name: "Launch",
    kind: "percent",
    percent_off: "20",
    amount_off: "",
    currency: "",
    duration: "once",
    duration_months: "",
    expires_at: "",
    max_redemptions: "100",
    active: "on",
  };

  it("makes a percentage coupon's create body without the unused fields", () => {
    expect(couponBody(form, [], digitsOf, "create")).toEqual({
      code: "LAUNCH20",
      name: "Launch",
      percent_off: 20,
      duration: "once",
      expires_at: null,
      max_redemptions: 100,
      plan_ids: null,
      active: true,
    });
  });

  it("makes an amount coupon, repeating, for some plans", () => {
    expect(
      couponBody(
        {
          ...form,
          kind: "amount",
          amount_off: "5.00",
          currency: "EUR",
          duration: "repeating",
          duration_months: "3",
          active: "",
        },
        ["pln_pro"],
        digitsOf,
        "create",
      ),
    ).toMatchObject({
      amount_off: 500,
      currency: "eur",
      duration: "repeating",
      duration_months: 3,
      plan_ids: ["pln_pro"],
      active: false,
    });
  });

  it("sends nulls on an edit, and no discount once it was redeemed", () => {
    const edit = couponBody(form, [], digitsOf, "edit");
    expect(edit).toMatchObject({
      percent_off: 20,
      amount_off: null,
      currency: null,
      duration_months: null,
    });
    expect(edit).not.toHaveProperty("code");
    const locked = couponBody(form, [], digitsOf, "edit", true);
    for (const key of ["percent_off", "amount_off", "currency", "duration", "duration_months"]) {
      expect(locked).not.toHaveProperty(key);
    }
    fails(
      () => couponBody({ ...form, duration: "repeating" }, [], digitsOf, "create"),
      "duration_months",
    );
  });
});

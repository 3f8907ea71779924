// The console's CSV export: RFC 4180 quoting, formula injection defused, the users and payments
// columns, and paging through a list route (with waits when rate limited).
import { describe, expect, it } from "vitest";
import {
  collectPages,
  csvCell,
  csvFilename,
  PAYMENT_HEADERS,
  paymentsCsv,
  rateLimitRetry,
  toCsv,
  USER_HEADERS,
  usersCsv,
} from "../web/console/csv";
import type { AdminUserRow, Payment } from "../web/console/types";

/** A minimal RFC 4180 reader, to prove what was written reads back as it was meant. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += ch;
  }
  return rows;
}

describe("csvCell", () => {
  it("leaves plain text and numbers alone, and empties null", () => {
    expect(csvCell("ada@example.com")).toBe("ada@example.com");
    expect(csvCell(42)).toBe("42");
    expect(csvCell(-42)).toBe("-42");
    expect(csvCell(null)).toBe("");
    expect(csvCell(undefined)).toBe("");
    expect(csvCell(Number.NaN)).toBe("");
    expect(csvCell(true)).toBe("true");
  });

  it("quotes commas, quotes and line breaks, doubling quotes", () => {
    expect(csvCell("Lovelace, Ada")).toBe('"Lovelace, Ada"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell("cr\rlf")).toBe('"cr\rlf"');
  });

  it("defuses text a spreadsheet would run as a formula", () => {
    for (const evil of ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", '=HYPERLINK("http://x")']) {
      const cell = csvCell(evil);
      const read = parseCsv(`${cell}\r\n`)[0]?.[0] ?? "";
      expect(read, evil).toBe(`'${evil}`);
    }
    // A formula that also needs quoting is both defused and quoted.
    expect(csvCell("=A1,B1")).toBe('"\'=A1,B1"');
    // Text that merely contains the characters is untouched.
    expect(csvCell("a=b")).toBe("a=b");
    expect(csvCell("user+tag@example.com")).toBe("user+tag@example.com");
  });
});

describe("toCsv", () => {
  it("writes CRLF after every line and reads back field for field", () => {
    const rows = [
      ["a,b", 'q"uote', "multi\nline"],
      ["=cmd", null, 7],
    ];
    const text = toCsv(["one", "two", "three"], rows);
    expect(text.endsWith("\r\n")).toBe(true);
    expect(parseCsv(text)).toEqual([
      ["one", "two", "three"],
      ["a,b", 'q"uote', "multi\nline"],
      ["'=cmd", "", "7"],
    ]);
  });
});

const user = (fields: Partial<AdminUserRow> = {}): AdminUserRow => ({
  id: "usr_1",
  email: "ada@example.com",
  name: "Ada",
  role: "user",
  status: "active",
  email_verified: true,
  locale: null,
  timezone: null,
  created_at: "2031-01-01T00:00:00.000Z",
  updated_at: "2031-01-01T00:00:00.000Z",
  plan: "pro",
  standing: "good",
  ...fields,
});

describe("usersCsv", () => {
  it("has one row per user with plan, standing and each window's usage", () => {
    const window = (used: number, limit: number | null) => ({
      used,
      limit,
      remaining: limit === null ? null : limit - used,
      reset_at: "2031-01-01T00:01:00.000Z",
    });
    const rows = parseCsv(
      usersCsv([
        user({
          name: "=Evil, Inc",
          usage: {
            minute: window(1, 20),
            hour: window(2, 100),
            day: window(3, 1000),
            month: window(4, null),
          },
        }),
        user({ id: "usr_2", email: "b@example.com", name: null, email_verified: false }),
      ]),
    );
    expect(rows[0]).toEqual([...USER_HEADERS]);
    expect(rows[1]).toEqual([
      "usr_1",
      "ada@example.com",
      "'=Evil, Inc",
      "user",
      "active",
      "pro",
      "good",
      "yes",
      "2031-01-01T00:00:00.000Z",
      "1",
      "20",
      "2",
      "100",
      "3",
      "1000",
      "4",
      "unlimited",
    ]);
    expect(rows[2]?.slice(0, 8)).toEqual([
      "usr_2",
      "b@example.com",
      "",
      "user",
      "active",
      "pro",
      "good",
      "no",
    ]);
    expect(rows[2]?.slice(9)).toEqual(["", "", "", "", "", "", "", ""]);
  });
});

describe("paymentsCsv", () => {
  it("writes amounts as decimals of their currency and as minor units", () => {
    const payment: Payment = {
      id: "pay_1",
      user_id: "usr_1",
      subscription_id: null,
      provider: "stripe",
      amount: 2900,
      amount_refunded: 900,
      currency: "usd",
      status: "partially_refunded",
      period_start: null,
      period_end: null,
      receipt_url: null,
      failure_reason: "-card declined",
      created_at: "2031-01-01T00:00:00.000Z",
    };
    const rows = parseCsv(
      paymentsCsv([
        payment,
        { ...payment, id: "pay_2", currency: "jpy", amount: 500, amount_refunded: 0 },
      ]),
    );
    expect(rows[0]).toEqual([...PAYMENT_HEADERS]);
    const get = (row: string[] | undefined, name: string) =>
      row?.[PAYMENT_HEADERS.indexOf(name as never)];
    expect(get(rows[1], "currency")).toBe("USD");
    expect(get(rows[1], "amount")).toBe("29.00");
    expect(get(rows[1], "amount_refunded")).toBe("9.00");
    expect(get(rows[1], "amount_minor")).toBe("2900");
    expect(get(rows[1], "failure_reason")).toBe("'-card declined");
    expect(get(rows[2], "amount")).toBe("500");
  });
});

describe("collectPages", () => {
  const PAGES: Record<string, { data: number[]; next_cursor: string | null }> = {
    first: { data: [1, 2], next_cursor: "a" },
    a: { data: [3, 4], next_cursor: "b" },
    b: { data: [5], next_cursor: null },
  };
  const pageAt = async (cursor: string | null) =>
    PAGES[cursor ?? "first"] ?? { data: [], next_cursor: null };

  it("follows next_cursor to the last page, reporting progress", async () => {
    const asked: (string | null)[] = [];
    const progress: number[] = [];
    const result = await collectPages(
      async (cursor) => {
        asked.push(cursor);
        return pageAt(cursor);
      },
      { max: 100, onPage: (n) => progress.push(n) },
    );
    expect(result).toEqual({ items: [1, 2, 3, 4, 5], truncated: false });
    expect(asked).toEqual([null, "a", "b"]);
    expect(progress).toEqual([2, 4, 5]);
  });

  it("stops at max and says the export was cut", async () => {
    const result = await collectPages(pageAt, {
      max: 3,
    });
    expect(result).toEqual({ items: [1, 2, 3], truncated: true });
    const exact = await collectPages(pageAt, {
      max: 5,
    });
    expect(exact).toEqual({ items: [1, 2, 3, 4, 5], truncated: false });
  });

  it("waits and asks again when rate limited, and gives up on other failures", async () => {
    const waits: number[] = [];
    let failuresLeft = 2;
    const result = await collectPages(
      async (cursor) => {
        if (cursor === "a" && failuresLeft-- > 0) throw { status: 429 };
        return pageAt(cursor);
      },
      { max: 100, retryDelay: rateLimitRetry, wait: async (ms) => void waits.push(ms) },
    );
    expect(result.items).toEqual([1, 2, 3, 4, 5]);
    expect(waits).toEqual([10_000, 20_000]);

    const failing = collectPages(
      async () => {
        throw { status: 500 };
      },
      { max: 100, retryDelay: rateLimitRetry, wait: async () => {} },
    );
    await expect(failing).rejects.toEqual({ status: 500 });
  });

  it("caps the wait and the attempts", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => rateLimitRetry({ status: 429 }, n))).toEqual([
      10_000,
      20_000,
      40_000,
      60_000,
      60_000,
      null,
    ]);
    expect(rateLimitRetry(new Error("x"), 1)).toBeNull();
  });

  it("names the file by what and the day", () => {
    expect(csvFilename("users", Date.parse("2031-01-31T23:00:00Z"))).toBe(
      "tollgate-users-2031-01-31.csv",
    );
  });
});

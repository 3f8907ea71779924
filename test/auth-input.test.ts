// Bad input on every auth route with a body: malformed JSON, missing and mistyped fields,
// unknown keys, the wrong media type and oversized bodies, each refused without a write.
import { describe, expect, it } from "vitest";
import { countUsersWithEmail, expectFieldErrors, post, tableCounts } from "./auth-helpers";
import {
  type ApiResponse,
  api,
  count,
  expectProblem,
  PASSWORD,
  type Problem,
  send,
  uniqueEmail,
} from "./helpers";

/** A request with a body but no Content-Type header at all (a string body would add text/plain). */
function requestWithoutContentType(path: string, body: string): Promise<ApiResponse> {
  const request = new Request(`https://api.test${path}`, {
    method: "POST",
    body: new TextEncoder().encode(body),
  });
  expect(request.headers.get("content-type")).toBeNull();
  return send(request);
}

// ---------------------------------------------------------------------------------------------
// Bad input on every route with a body
// ---------------------------------------------------------------------------------------------

interface BodyRoute {
  path: string;
  /** A valid body; the email (when the route takes one) is the one checked for writes. */
  valid: (email: string) => Record<string, unknown>;
  /** Every required field. */
  required: string[];
  /** The same fields with the wrong JSON types. */
  wrongTypes: Record<string, unknown>;
  /**
   * Its answer to the valid body (a new email, a made-up token): the route's own success, or its
   * own refusal (`code`), which only a request that passed validation can get.
   */
  answer: { status: number; code?: string };
}

const TOKEN = "t".repeat(43);

const BODY_ROUTES: BodyRoute[] = [
  {
    path: "/v1/auth/signup",
    valid: (email) => ({ email, password: PASSWORD, name: "Bad Input" }),
    required: ["email", "password"],
    wrongTypes: { email: 42, password: 12345678, name: ["x"] },
    answer: { status: 201 },
  },
  {
    path: "/v1/auth/login",
    valid: (email) => ({ email, password: PASSWORD }),
    required: ["email", "password"],
    wrongTypes: { email: true, password: 12345678 },
    answer: { status: 401, code: "invalid_credentials" },
  },
  {
    path: "/v1/auth/refresh",
    valid: () => ({ refresh_token: TOKEN }),
    required: ["refresh_token"],
    wrongTypes: { refresh_token: 1234567890123456 },
    answer: { status: 401, code: "invalid_refresh_token" },
  },
  {
    path: "/v1/auth/logout",
    valid: () => ({ refresh_token: TOKEN }),
    required: ["refresh_token"],
    wrongTypes: { refresh_token: { token: TOKEN } },
    answer: { status: 204 },
  },
  {
    path: "/v1/auth/password/forgot",
    valid: (email) => ({ email }),
    required: ["email"],
    wrongTypes: { email: ["a@example.test"] },
    answer: { status: 202 },
  },
  {
    path: "/v1/auth/password/reset",
    valid: () => ({ token: TOKEN, password: PASSWORD }),
    required: ["token", "password"],
    wrongTypes: { token: null, password: false },
    answer: { status: 400, code: "invalid_or_expired_token" },
  },
  {
    path: "/v1/auth/email/verify",
    valid: () => ({ token: TOKEN }),
    required: ["token"],
    wrongTypes: { token: 42 },
    answer: { status: 400, code: "invalid_or_expired_token" },
  },
];

describe.each(BODY_ROUTES)("bad input on POST $path", (route) => {
  /** Runs a rejected request and checks that nothing at all was written. */
  async function rejected(
    send: (email: string) => Promise<ApiResponse<unknown>>,
    status: number,
    code: string,
  ): Promise<Problem> {
    const email = uniqueEmail("badinput");
    const before = await tableCounts();
    const res = await send(email);
    const problem = expectProblem(res, status, code);
    expect(problem.instance).toBe(route.path);
    expect(typeof problem.request_id).toBe("string");
    expect(await countUsersWithEmail(email)).toBe(0);
    expect(await count("select count(*) as n from email_outbox where to_address = ?", email)).toBe(
      0,
    );
    expect(await tableCounts()).toEqual(before);
    return problem;
  }

  it("the valid body passes validation (control)", async () => {
    const email = uniqueEmail("control");
    const res = await post<Problem | null>(route.path, route.valid(email));
    const { status, code } = route.answer;
    if (code) {
      // A made-up token or an unknown email: the route's own refusal, not a validation error.
      expectProblem(res, status, code);
    } else {
      expect(res.status, res.text).toBe(status);
      expect(res.headers.get("content-type") ?? "").not.toMatch(/problem/);
    }
    if (status === 201) expect(res.body).toMatchObject({ user: { email } });
    if (status === 202 || status === 204) expect(res.text).toBe("");
    // Signup writes its user; no other route makes one.
    expect(await countUsersWithEmail(email)).toBe(status === 201 ? 1 : 0);
  });

  it("malformed JSON: 400 malformed_json", async () => {
    await rejected(
      () =>
        api("POST", route.path, {
          rawBody: "{bad",
          headers: { "content-type": "application/json" },
        }),
      400,
      "malformed_json",
    );
  });

  it("truncated JSON of a valid body: 400 malformed_json", async () => {
    await rejected(
      (email) =>
        api("POST", route.path, {
          rawBody: JSON.stringify(route.valid(email)).slice(0, -1),
          headers: { "content-type": "application/json; charset=utf-8" },
        }),
      400,
      "malformed_json",
    );
  });

  it("empty object: 400 invalid_request naming every required field", async () => {
    const problem = await rejected(() => post(route.path, {}), 400, "invalid_request");
    expectFieldErrors(problem, route.required);
  });

  it("each required field missing: 400 invalid_request naming it", async () => {
    for (const field of route.required) {
      const problem = await rejected(
        (email) => {
          const body = route.valid(email);
          delete body[field];
          return post(route.path, body);
        },
        400,
        "invalid_request",
      );
      expectFieldErrors(problem, [field]);
    }
  });

  it("wrong types: 400 invalid_request naming each field", async () => {
    const problem = await rejected(
      (email) => post(route.path, { ...route.valid(email), ...route.wrongTypes }),
      400,
      "invalid_request",
    );
    expectFieldErrors(problem, Object.keys(route.wrongTypes));
  });

  it.each([
    ["an array", []],
    ["null", null],
    ["a string", "hello"],
  ])("a JSON body that is %s: 400 invalid_request", async (_label, body) => {
    const problem = await rejected(
      () =>
        api("POST", route.path, {
          rawBody: JSON.stringify(body),
          headers: { "content-type": "application/json" },
        }),
      400,
      "invalid_request",
    );
    expectFieldErrors(problem);
  });

  it("unknown keys: 400 invalid_request", async () => {
    const problem = await rejected(
      (email) => post(route.path, { ...route.valid(email), is_admin: true }),
      400,
      "invalid_request",
    );
    expectFieldErrors(problem);
    expect(JSON.stringify(problem.errors)).toContain("is_admin");
  });

  it("no Content-Type (a string body, sent as text/plain): 415", async () => {
    await rejected(
      (email) => api("POST", route.path, { rawBody: JSON.stringify(route.valid(email)) }),
      415,
      "unsupported_media_type",
    );
  });

  it("no Content-Type header at all: 415", async () => {
    await rejected(
      (email) => requestWithoutContentType(route.path, JSON.stringify(route.valid(email))),
      415,
      "unsupported_media_type",
    );
  });

  it.each(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])(
    "Content-Type %s: 415",
    async (contentType) => {
      await rejected(
        (email) =>
          api("POST", route.path, {
            rawBody: JSON.stringify(route.valid(email)),
            headers: { "content-type": contentType },
          }),
        415,
        "unsupported_media_type",
      );
    },
  );

  it("a body larger than 64 KiB: 413 payload_too_large", async () => {
    await rejected(
      (email) => post(route.path, { ...route.valid(email), padding: "p".repeat(64 * 1024 + 1) }),
      413,
      "payload_too_large",
    );
  });

  it("a body of exactly 64 KiB is not 413 (the limit is 64 KiB, not less)", async () => {
    const email = uniqueEmail("almost");
    const base = JSON.stringify({ ...route.valid(email), padding: "" });
    const body = { ...route.valid(email), padding: "p".repeat(64 * 1024 - base.length) };
    expect(new TextEncoder().encode(JSON.stringify(body)).length).toBe(64 * 1024);
    // It is rejected for the unknown key, not for its size.
    expectProblem(await post(route.path, body), 400, "invalid_request");
    expect(await countUsersWithEmail(email)).toBe(0);
  });
});

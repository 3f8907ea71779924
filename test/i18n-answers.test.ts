// Answers in the client's language: Accept-Language first, then the signed-in user's locale,
// then English; problems translated with their machine code unchanged; Content-Language on
// every answer.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { MINUTE } from "../src/lib/time";
import { pushPolicyBeforeCommit } from "../src/ratelimit/client";
import { api, expectProblem, type Problem, signup, signupAdmin, type TestUser } from "./helpers";
import { T0 } from "./ratelimit-helpers";

const ES = { "accept-language": "es-MX,es;q=0.9,en;q=0.5" };
const EN = { "accept-language": "en-US" };

async function spanishUser(): Promise<TestUser> {
  const user = await signup("hablante");
  const res = await api("PATCH", "/v1/me", { token: user.accessToken, body: { locale: "es" } });
  expect(res.status, res.text).toBe(200);
  return user;
}

describe("problems in the request's language", () => {
  it("a 404 in Spanish and in English, the code the same", async () => {
    const es = await api("GET", "/v1/nowhere", { headers: ES });
    const esProblem = expectProblem(es, 404, "not_found");
    expect(esProblem).toMatchObject({
      title: "No encontrado",
      detail: "No hay ninguna ruta para GET /v1/nowhere",
    });
    expect(es.headers.get("content-language")).toBe("es");

    const en = await api("GET", "/v1/nowhere", { headers: EN });
    expect(expectProblem(en, 404, "not_found")).toMatchObject({
      title: "Not found",
      detail: "No route for GET /v1/nowhere",
    });
    expect(en.headers.get("content-language")).toBe("en");
  });

  it("a 400 validation problem: title, detail and each field's message", async () => {
    const body = { email: "not-an-email", password: "x", extra: 1 };
    const es = expectProblem(
      await api("POST", "/v1/auth/signup", { body, headers: ES }),
      400,
      "invalid_request",
    );
    expect(es.title).toBe("La solicitud no es válida");
    expect(es.detail).toBe("El cuerpo de la solicitud no es válido");
    const en = expectProblem(
      await api("POST", "/v1/auth/signup", { body, headers: EN }),
      400,
      "invalid_request",
    );
    expect(en.detail).toBe("The request body is invalid");
    // The same fields, in the same order; zod's messages in each language.
    expect(es.errors?.map((e) => e.path)).toEqual(en.errors?.map((e) => e.path));
    const message = (p: Problem, path: string) => p.errors?.find((e) => e.path === path)?.message;
    expect(message(en, "password")).toMatch(/^Too small: expected string to have >=/);
    expect(message(es, "password")).toMatch(/^Demasiado pequeño: se esperaba que texto tuviera >=/);
    expect(message(es, "")).toBe('Llave desconocida: "extra"');
    expect(message(en, "")).toBe('Unrecognized key: "extra"');
  });

  it("zod's 'received' names what was sent, in the language too", async () => {
    const body = { email: 12, password: "long enough password" };
    const es = expectProblem(
      await api("POST", "/v1/auth/login", { body, headers: ES }),
      400,
      "invalid_request",
    );
    expect(es.errors).toEqual([
      { path: "email", message: "Entrada inválida: se esperaba texto, recibido número" },
    ]);
  });

  it("a schema's own message comes from the catalogs", async () => {
    const user = await signup("tz");
    const body = { timezone: "Mars/Olympus" };
    const es = expectProblem(
      await api("PATCH", "/v1/me", { token: user.accessToken, body, headers: ES }),
      400,
      "invalid_request",
    );
    expect(es.errors).toEqual([
      { path: "timezone", message: "debe ser una zona horaria IANA como Europe/Madrid" },
    ]);
    const empty = expectProblem(
      await api("PATCH", "/v1/me", { token: user.accessToken, body: {}, headers: EN }),
      400,
      "invalid_request",
    );
    expect(empty.errors).toEqual([
      { path: "", message: "send at least one of name, locale, timezone, phone" },
    ]);
  });

  it("a 401 in Spanish", async () => {
    const res = await api("GET", "/v1/me", { headers: { "accept-language": "es" } });
    expect(expectProblem(res, 401, "unauthorized")).toMatchObject({
      title: "Se requiere autenticación",
      detail: "Envíe un token de acceso o una clave de API como 'Authorization: Bearer <token>'",
    });
    expect(res.headers.get("content-language")).toBe("es");
    const bad = await api("GET", "/v1/me", { token: "not-a-jwt", headers: ES });
    expect(expectProblem(bad, 401, "invalid_token").detail).toBe(
      "El token de acceso no es válido o caducó",
    );
  });

  it("a 429 in Spanish, its plural by the seconds to wait", async () => {
    vi.setSystemTime(T0 + 30 * 1000);
    const user = await signup("limitado");
    await pushPolicyBeforeCommit(
      env,
      user.id,
      { limits: { minute: 1, hour: null, day: null, month: null } },
      T0,
    );
    expect((await api("GET", "/v1/ping", { token: user.accessToken })).status).toBe(200);
    const es = await api("GET", "/v1/ping", { token: user.accessToken, headers: ES });
    expect(expectProblem(es, 429, "rate_limited")).toMatchObject({
      title: "Demasiadas solicitudes",
      detail: "Se alcanzó el límite de minute; vuelva a intentarlo en 30 segundos",
    });
    expect(es.headers.get("retry-after")).toBe("30");
    vi.setSystemTime(T0 + MINUTE - 1000);
    const en = await api("GET", "/v1/ping", { token: user.accessToken, headers: EN });
    expect(expectProblem(en, 429, "rate_limited").detail).toBe(
      "Limit reached for minute; retry in 1 second",
    );
  });

  it("a service's own field messages, on admin routes too", async () => {
    const admin = await signupAdmin();
    const code = `ES${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`.toUpperCase();
    const body = {
      code,
      duration: "forever",
      duration_months: 3,
      percent_off: 10,
      currency: "eur",
    };
    const es = expectProblem(
      await api("POST", "/v1/admin/coupons", { token: admin.accessToken, body, headers: ES }),
      400,
      "invalid_request",
    );
    expect(es.detail).toBe("El cupón no es válido");
    expect(es.errors).toEqual([
      { path: "currency", message: "solo un cupón con amount_off tiene moneda" },
      {
        path: "duration_months",
        message: "solo un cupón recurrente tiene duration_months (este es forever)",
      },
    ]);
    const en = expectProblem(
      await api("GET", "/v1/admin/analytics/summary?from=2031-02-01&to=2031-01-01", {
        token: admin.accessToken,
        headers: EN,
      }),
      400,
      "invalid_request",
    );
    expect(en.errors).toEqual([{ path: "from", message: "must not be after to" }]);
  });

  it("an unknown language gets English", async () => {
    const res = await api("GET", "/v1/nowhere", { headers: { "accept-language": "fr-FR, de" } });
    expect(expectProblem(res, 404, "not_found").title).toBe("Not found");
    expect(res.headers.get("content-language")).toBe("en");
    expect(res.headers.get("vary")).toContain("Accept-Language");
  });
});

describe("the user's own language", () => {
  it("is used when the request names none, for JSON answers and problems", async () => {
    const user = await spanishUser();
    const me = await api("GET", "/v1/me", { token: user.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.locale).toBe("es");
    expect(me.headers.get("content-language")).toBe("es");
    expect(me.headers.get("vary")).toContain("Accept-Language");

    const missing = await api("GET", "/v1/payments/pay_nothere", { token: user.accessToken });
    expect(expectProblem(missing, 404, "not_found")).toMatchObject({
      title: "No encontrado",
      detail: "No se encontró el pago",
    });
    expect(missing.headers.get("content-language")).toBe("es");
  });

  it("gives way to an Accept-Language we have, not to one we do not", async () => {
    const user = await spanishUser();
    const en = await api("GET", "/v1/me", { token: user.accessToken, headers: EN });
    expect(en.headers.get("content-language")).toBe("en");
    const fr = await api("GET", "/v1/me", {
      token: user.accessToken,
      headers: { "accept-language": "fr" },
    });
    expect(fr.headers.get("content-language")).toBe("es");
  });

  it("holds for API keys too, and changes on the next request after an update", async () => {
    const user = await spanishUser();
    const key = await api<{ key: string }>("POST", "/v1/me/api-keys", {
      token: user.accessToken,
      body: { name: "server" },
    });
    expect(key.status, key.text).toBe(201);
    const viaKey = await api("GET", "/v1/ping", { headers: { "x-api-key": key.body.key } });
    expect(viaKey.headers.get("content-language")).toBe("es");

    await api("PATCH", "/v1/me", { token: user.accessToken, body: { locale: null } });
    const after = await api("GET", "/v1/ping", { headers: { "x-api-key": key.body.key } });
    expect(after.headers.get("content-language")).toBe("en");
  });
});

// What every area of the fake Stripe API shares: the form-encoded parameters the SDK sends and
// readers for them, Stripe's error answers, ids and the JSON responses.
export type Json = Record<string, unknown>;
// Form-encoded parameters as the SDK sends them: strings, nested objects and arrays.
export type Params = { [key: string]: ParamValue };
export type ParamValue = string | Params | ParamValue[];

export interface RecordedRequest {
  method: string;
  path: string;
  params: Params;
  idempotencyKey: string | null;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
export const DAY_SECONDS = 86_400;

/** `a[b][0][c]=v` pairs into nested objects; objects keyed 0..n become arrays. */
export function parseForm(body: string): Params {
  const root: Params = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.split(/\[|\]\[|\]/).filter((part) => part !== "");
    let node: Params = root;
    path.forEach((part, i) => {
      if (i === path.length - 1) {
        node[part] = value;
      } else {
        node[part] ??= {};
        node = node[part] as Params;
      }
    });
  }
  const arrays = (value: ParamValue): ParamValue => {
    if (typeof value === "string" || Array.isArray(value)) return value;
    const keys = Object.keys(value);
    const converted: Params = {};
    for (const k of keys) converted[k] = arrays(value[k] as ParamValue);
    if (keys.length > 0 && keys.every((k, i) => k === String(i))) {
      return keys.map((k) => converted[k] as ParamValue);
    }
    return converted;
  };
  return arrays(root) as Params;
}

export const str = (value: ParamValue | undefined): string | undefined =>
  typeof value === "string" ? value : undefined;
export const obj = (value: ParamValue | undefined): Params =>
  value && typeof value === "object" && !Array.isArray(value) ? value : {};
export const list = (value: ParamValue | undefined): ParamValue[] =>
  Array.isArray(value) ? value : [];
export const num = (value: ParamValue | undefined): number | undefined => {
  const s = str(value);
  return s === undefined || s === "" ? undefined : Number(s);
};
export const metadataOf = (value: ParamValue | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(value))) if (typeof v === "string") out[k] = v;
  return out;
};

export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { type: string; code?: string; message: string; param?: string },
  ) {
    super(body.message);
  }
}

export const missing = (what: string, id: string, param?: string) =>
  new StripeApiError(404, {
    type: "invalid_request_error",
    code: "resource_missing",
    message: `No such ${what}: '${id}'`,
    ...(param ? { param } : {}),
  });

export const invalid = (message: string, param?: string, code = "parameter_invalid") =>
  new StripeApiError(400, {
    type: "invalid_request_error",
    code,
    message,
    ...(param ? { param } : {}),
  });

export const missingRoute = (method: string, path: string) =>
  new StripeApiError(404, {
    type: "invalid_request_error",
    message: `Unrecognized request URL (${method}: ${path}).`,
  });

let sequence = 0;
export const fakeId = (prefix: string) =>
  `${prefix}_fake${(++sequence).toString(36).padStart(6, "0")}${crypto.randomUUID().slice(0, 6)}`;

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "request-id": `req_${crypto.randomUUID()}` },
  });
}

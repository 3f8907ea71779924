// Only for bench/auth.mjs: times tollgate's own password hashing inside workerd.
import { hashPassword, PASSWORD_ITERATIONS, verifyPassword } from "../../src/auth/passwords";

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return Response.json({ status: "ok" });
    const n = Math.min(200, Number(url.searchParams.get("n") ?? "20"));
    const hashMs: number[] = [];
    const verifyMs: number[] = [];
    for (let i = 0; i < n; i++) {
      let started = performance.now();
      const hash = await hashPassword(`bench password ${i}`);
      hashMs.push(performance.now() - started);
      started = performance.now();
      await verifyPassword(`bench password ${i}`, hash);
      verifyMs.push(performance.now() - started);
    }
    return Response.json({ iterations: PASSWORD_ITERATIONS, hash_ms: hashMs, verify_ms: verifyMs });
  },
};

import { createRoute, z } from "@hono/zod-openapi";
import { desc, eq } from "drizzle-orm";
import { auditInsert } from "../admin/audit";
import { requireAdmin, requireAuth } from "../auth/middleware";
import { jobRuns } from "../db/schema";
import { newRouter, principalOf } from "../lib/context";
import { notFound } from "../lib/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../lib/openapi";
import { iso } from "../lib/time";
import { isJobName, JOBS, SCHEDULE } from "./registry";
import { type JobRun, runJob } from "./runner";

const security = bearerSecurity;

const RunSchema = z
  .object({
    id: z.string(),
    job: z.string(),
    trigger: z.enum(["cron", "admin"]),
    run_at: z.iso.datetime(),
    started_at: z.iso.datetime(),
    duration_ms: z.number().int().nullable(),
    status: z.enum(["running", "ok", "error"]),
    counts: z.record(z.string(), z.number()),
    error: z.string().nullable(),
    d1: z
      .object({
        rows_read: z.number().int(),
        rows_written: z.number().int(),
        queries: z.number().int(),
        unmetered: z.number().int().openapi({ description: "Calls D1 reports no row counts for" }),
      })
      .nullable(),
  })
  .openapi("JobRun");

const runView = (run: JobRun) => ({
  id: run.id,
  job: run.job,
  trigger: run.trigger,
  run_at: iso(run.runAt),
  started_at: iso(run.startedAt),
  duration_ms: run.durationMs,
  status: run.status,
  counts: run.counts,
  error: run.error,
  d1: run.d1Usage,
});

export const adminJobRoutes = newRouter();
adminJobRoutes.use("*", requireAuth, requireAdmin);

adminJobRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "admin.jobs.list",
    tags: ["admin"],
    security,
    summary: "Every job with its schedule and last run (duration and counts)",
    responses: {
      200: jsonContent(
        z.object({
          data: z.array(
            z.object({
              name: z.string(),
              crons: z.array(z.string()),
              last_run: RunSchema.nullable(),
            }),
          ),
        }),
        "The jobs",
      ),
      ...errorResponses(401, 403, 429),
    },
  }),
  async (c) => {
    const data = await Promise.all(
      Object.keys(JOBS).map(async (name) => {
        const last = await c.var.db
          .select()
          .from(jobRuns)
          .where(eq(jobRuns.job, name))
          .orderBy(desc(jobRuns.startedAt), desc(jobRuns.id))
          .limit(1)
          .get();
        const crons = Object.entries(SCHEDULE)
          .filter(([, names]) => (names as string[]).includes(name))
          .map(([cron]) => cron);
        return { name, crons, last_run: last ? runView(last) : null };
      }),
    );
    return c.json({ data }, 200);
  },
);

adminJobRoutes.openapi(
  createRoute({
    method: "post",
    path: "/{name}/run",
    operationId: "admin.jobs.run",
    tags: ["admin"],
    security,
    summary: "Run a job now (audit-logged); answers the run with its counts",
    request: {
      params: z.object({
        name: z
          .string()
          .max(64)
          .openapi({ param: { name: "name", in: "path" } }),
      }),
    },
    responses: {
      200: jsonContent(RunSchema, "The finished run"),
      ...errorResponses(401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    if (!isJobName(name)) throw notFound("Job");
    const run = await runJob(c.env, name, "admin", c.var.now);
    // Recorded after the run, naming it, so the log never claims a run that does not exist.
    await auditInsert(
      c.var.db,
      {
        actorId: principalOf(c).userId,
        action: "job.run",
        targetType: "job",
        targetId: name,
        data: { run_id: run.id, status: run.status },
      },
      c.var.now,
    );
    return c.json(runView(run), 200);
  },
);

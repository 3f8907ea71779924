import { createRoute, z } from "@hono/zod-openapi";
import { JOB_RUN_STATUSES, JOB_TRIGGERS } from "../db/schema";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { bearerSecurity, errorResponses, jsonContent } from "../lib/openapi";
import { jobRunView, jobsOverview, runJobForAdmin } from "./admin-service";

const security = bearerSecurity;

const RunSchema = z
  .object({
    id: z.string(),
    job: z.string(),
    trigger: z.enum(JOB_TRIGGERS),
    run_at: z.iso.datetime(),
    started_at: z.iso.datetime(),
    duration_ms: z.number().int().nullable(),
    status: z.enum(JOB_RUN_STATUSES),
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

export const adminJobRoutes = newRouter();

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
    },
  }),
  async (c) => c.json({ data: await jobsOverview(c.var.db) }, 200),
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
      ...errorResponses(404),
    },
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    const run = await runJobForAdmin(serviceContext(c), principalOf(c).userId, name);
    return c.json(jobRunView(run), 200);
  },
);

import { createRoute, z } from "@hono/zod-openapi";
import { DEVICE_PLATFORMS } from "../db/schema";
import { newRouter, principalOf, serviceContext } from "../lib/context";
import { bearerSecurity, errorResponses, jsonBody, jsonContent } from "../lib/openapi";
import { deleteDevice, listDevices, registerDevice } from "./devices";

const tags = ["devices"];
const security = bearerSecurity;

const DeviceSchema = z
  .object({
    id: z.string().openapi({ example: "dev_0f3k2m9q8r7s6t5v4w3x2y1z0a" }),
    platform: z.enum(DEVICE_PLATFORMS),
    token: z.string().openapi({
      description:
        "The FCM registration token, as registered (not a secret: sending to it takes the server's credentials). Apps compare it with their current token to find their own device.",
    }),
    created_at: z.iso.datetime(),
    last_seen_at: z.iso.datetime().openapi({ description: "The last time it was registered" }),
  })
  .openapi("Device");

const RegisterDeviceBody = z
  .strictObject({
    platform: z.enum(DEVICE_PLATFORMS),
    token: z
      .string()
      .min(1)
      .max(4096)
      .regex(/^\S+$/, "must be an FCM registration token (no spaces)"),
  })
  .openapi("RegisterDeviceRequest");

const DeviceIdParam = z.object({
  id: z
    .string()
    .regex(/^dev_[0-9a-z]+$/)
    .openapi({ param: { name: "id", in: "path" } }),
});

/** Mounted under /v1/me (users/routes.ts), whose requireAuth covers it. */
export const deviceRoutes = newRouter();

deviceRoutes.openapi(
  createRoute({
    method: "post",
    path: "/",
    operationId: "me.devices.register",
    tags,
    security,
    summary: "Register a device for push notifications (its FCM token)",
    description:
      "201 with the new device; a token this account has already registered answers 200 with that device (last_seen_at refreshed). A token registered by another account is taken from it. Past 20 devices, the one seen longest ago is forgotten.",
    request: { body: jsonBody(RegisterDeviceBody) },
    responses: {
      201: jsonContent(DeviceSchema, "Registered"),
      200: jsonContent(DeviceSchema, "Already registered"),
      ...errorResponses(403),
    },
  }),
  async (c) => {
    const { device, created } = await registerDevice(
      serviceContext(c),
      principalOf(c).userId,
      c.req.valid("json"),
    );
    return created ? c.json(device, 201) : c.json(device, 200);
  },
);

deviceRoutes.openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "me.devices.list",
    tags,
    security,
    summary: "The current user's devices, oldest first",
    responses: {
      200: jsonContent(z.object({ data: z.array(DeviceSchema) }), "The devices"),
      ...errorResponses(403),
    },
  }),
  async (c) => c.json({ data: await listDevices(c.var.db, principalOf(c).userId) }, 200),
);

deviceRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    operationId: "me.devices.delete",
    tags,
    security,
    summary: "Forget a device: no more push notifications to it",
    request: { params: DeviceIdParam },
    responses: { 204: { description: "Forgotten" }, ...errorResponses(403, 404) },
  }),
  async (c) => {
    await deleteDevice(c.var.db, principalOf(c).userId, c.req.valid("param").id);
    return c.body(null, 204);
  },
);

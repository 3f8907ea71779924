import { z } from "@hono/zod-openapi";
import {
  CHANNELS,
  EVENT_CATEGORIES,
  EVENT_TYPES,
  RECURRENCE_FREQS,
  REMINDER_STATUSES,
} from "../db/schema";
import { PageQuery } from "../lib/pagination";
import { TimeZoneSchema } from "../lib/zones";

/** The longest time before an occurrence a reminder can be set for: a year. */
export const MAX_REMIND_BEFORE_MINUTES = 366 * 24 * 60;
/** The longest range GET /v1/events expands at once. */
export const MAX_RANGE_DAYS = 366;

const DateTime = z.iso.datetime({ offset: true });
const DateOrDateTime = z
  .union([z.iso.date(), DateTime])
  .openapi({ description: "A date-time with an offset; a date alone (YYYY-MM-DD) for all_day" });

const Channels = z
  .array(z.enum(CHANNELS))
  .min(1)
  .max(CHANNELS.length)
  .refine((list) => new Set(list).size === list.length, "events.validation.each_once")
  .openapi({ description: "Where to deliver; default in_app and email (your preferences apply)" });

const RecurrenceBody = z
  .strictObject({
    freq: z.enum(RECURRENCE_FREQS),
    interval: z.int().min(1).max(1000).default(1),
    count: z.int().min(1).max(1000).optional().openapi({
      description: "How many occurrences in all, the first included (not with until)",
    }),
    until: DateOrDateTime.optional().openapi({
      description: "The last moment an occurrence may start (a date: through that local day)",
    }),
  })
  .openapi("Recurrence");

const RemindBefore = z
  .array(z.int().min(0).max(MAX_REMIND_BEFORE_MINUTES))
  .max(10)
  .refine((list) => new Set(list).size === list.length, "events.validation.each_once")
  .openapi({ description: "Minutes before each occurrence to send a reminder (0: at its start)" });

const eventFields = {
  title: z.string().trim().min(1).max(200),
  description: z.string().trim().max(5000),
  category: z.enum(EVENT_CATEGORIES),
  type: z.enum(EVENT_TYPES).openapi({
    description: "action: also notified at each start, by email; reminder: only its reminders",
  }),
  starts_at: DateOrDateTime,
  ends_at: DateOrDateTime.openapi({
    description: "Exclusive; an occurrence keeps this length (all-day: this many days)",
  }),
  all_day: z.boolean(),
  timezone: TimeZoneSchema,
  recurrence: RecurrenceBody,
  remind_before_minutes: RemindBefore,
  channels: Channels,
};

export const CreateEventBody = z
  .strictObject({
    ...eventFields,
    description: eventFields.description.optional(),
    ends_at: eventFields.ends_at.optional(),
    all_day: eventFields.all_day.default(false),
    recurrence: eventFields.recurrence.optional(),
    remind_before_minutes: eventFields.remind_before_minutes.default([]),
    channels: eventFields.channels.optional(),
  })
  .openapi("CreateEventRequest");

/** Every field optional; null clears description, ends_at, recurrence and channels. */
export const PatchEventBody = z
  .strictObject({
    title: eventFields.title.optional(),
    description: eventFields.description.nullable().optional(),
    category: eventFields.category.optional(),
    type: eventFields.type.optional(),
    starts_at: eventFields.starts_at.optional(),
    ends_at: eventFields.ends_at.nullable().optional(),
    all_day: eventFields.all_day.optional(),
    timezone: eventFields.timezone.optional(),
    recurrence: eventFields.recurrence.nullable().optional(),
    remind_before_minutes: eventFields.remind_before_minutes.optional(),
    channels: eventFields.channels.nullable().optional(),
  })
  .openapi("PatchEventRequest");

export const EventSchema = z
  .object({
    id: z.string().openapi({ example: "cal_0f3k2m9q8r7s6t5v4w3x2y1z0a" }),
    title: z.string(),
    description: z.string().nullable(),
    category: z.enum(EVENT_CATEGORIES),
    type: z.enum(EVENT_TYPES),
    starts_at: z.iso.datetime(),
    ends_at: z.iso.datetime().nullable(),
    all_day: z.boolean(),
    timezone: z.string(),
    recurrence: z
      .object({
        freq: z.enum(RECURRENCE_FREQS),
        interval: z.int(),
        count: z.int().nullable(),
        until: z.iso.datetime().nullable(),
      })
      .nullable(),
    remind_before_minutes: z.array(z.int()),
    channels: z.array(z.enum(CHANNELS)).nullable(),
    next_due_at: z.iso.datetime().nullable().openapi({
      description: "When its next reminder (or start notification) goes out; null: none left",
    }),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi("Event");

export const OccurrenceSchema = z
  .object({
    event_id: z.string(),
    ...EventSchema.pick({
      title: true,
      description: true,
      category: true,
      type: true,
      starts_at: true,
      ends_at: true,
      all_day: true,
      timezone: true,
    }).shape,
    recurring: z.boolean(),
  })
  .openapi("EventOccurrence");

export const OccurrencesQuery = z.object({
  from: DateTime.openapi({ description: "Occurrences still going on at or starting after this" }),
  to: DateTime.openapi({ description: `Before this; at most ${MAX_RANGE_DAYS} days after from` }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: PageQuery.cursor,
});

export const CreateReminderBody = z
  .strictObject({
    title: z.string().trim().min(1).max(200),
    body: z.string().trim().max(5000).optional(),
    remind_at: DateTime.openapi({ description: "In the future" }),
    channels: Channels.optional(),
  })
  .openapi("CreateReminderRequest");

export const ReminderSchema = z
  .object({
    id: z.string().openapi({ example: "rem_0f3k2m9q8r7s6t5v4w3x2y1z0a" }),
    title: z.string(),
    body: z.string().nullable(),
    remind_at: z.iso.datetime(),
    channels: z.array(z.enum(CHANNELS)).nullable(),
    status: z.enum(REMINDER_STATUSES),
    sent_at: z.iso.datetime().nullable(),
    created_at: z.iso.datetime(),
  })
  .openapi("Reminder");

export const RemindersQuery = z.object({
  ...PageQuery,
  status: z.enum(REMINDER_STATUSES).optional(),
});

const idParam = (prefix: string) =>
  z.object({
    id: z
      .string()
      .regex(new RegExp(`^${prefix}_[0-9a-z]+$`))
      .openapi({ param: { name: "id", in: "path" } }),
  });

export const EventIdParam = idParam("cal");
export const ReminderIdParam = idParam("rem");

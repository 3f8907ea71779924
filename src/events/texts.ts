// What a delivered reminder or event says, in the recipient's language (keys `events.*`), with
// dates written the way that language writes them, in the event's (or the user's) time zone.
import type { EventRow, ReminderRow } from "../db/schema";
import { type Locale, t } from "../i18n";
import type { DuePoint } from "./recurrence";

export interface Text {
  title: string;
  body: string;
}

/** Made once per language, zone and style: a formatter is costly to make, cheap to use. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function when(locale: Locale, instant: number, timeZone: string, allDay: boolean): string {
  const key = `${locale} ${timeZone} ${allDay}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, {
      timeZone,
      dateStyle: "full",
      ...(allDay ? {} : { timeStyle: "short" }),
    });
    formatters.set(key, formatter);
  }
  return formatter.format(instant);
}

/** A standalone reminder: its own body, or when it was set for (in the user's time zone). */
export function reminderText(locale: Locale, reminder: ReminderRow, timeZone: string): Text {
  return {
    title: t(locale, "events.reminder.subject", { title: reminder.title }),
    body:
      reminder.body ??
      t(locale, "events.reminder.body", {
        when: when(locale, reminder.remindAt, timeZone, false),
      }),
  };
}

/** An event's reminder before an occurrence, or its start (an action event, or 0 minutes before). */
export function eventText(locale: Locale, event: EventRow, point: DuePoint): Text {
  const at = when(locale, point.occurrence, event.timezone, event.allDay);
  const params = { title: event.title, when: at };
  if (point.minutesBefore === 0) {
    return {
      title: t(locale, "events.start.subject", params),
      body: event.description ?? t(locale, "events.start.body", params),
    };
  }
  return {
    title: t(locale, "events.upcoming.subject", params),
    body: t(locale, event.allDay ? "events.upcoming.body_all_day" : "events.upcoming.body", params),
  };
}

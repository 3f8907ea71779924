// 1,000 reminders due in the same minute across 200 users, against `npm run dev`: each must be
// delivered once, as close to its due time as possible. Prints the delivered count, the
// duplicates (notifications beyond one per reminder; must be 0), and the lateness, median and
// p99, measured twice: stored (the delivery record's time, which is the notification's
// created_at, minus remind_at) and received (when the user's open notification stream got it,
// on this machine's clock, minus remind_at).
//   terminal 1: npm run dev        terminal 2: npm run bench:reminders
import {
  BASE_URL,
  benchIp,
  json,
  localD1Rows,
  median,
  percentile,
  round,
  table,
  waitFor,
} from "./lib.mjs";

const USERS = Number(process.env.USERS ?? 200);
const REMINDERS = Number(process.env.REMINDERS ?? 1000);
/** Seconds from the streams' opening to the due minute: creating the reminders must fit in it. */
const LEAD_SECONDS = Number(process.env.LEAD_SECONDS ?? 120);
const CONCURRENCY = 10;
const MINUTE = 60_000;

const run = Date.now().toString(36);
const emailOf = (i) => `bench-rem-${run}-${i}@example.com`;
const ofThisRun = `email LIKE 'bench-rem-${run}-%'`;

/** Runs `task(i)` for i in [0, count) with `CONCURRENCY` at a time. */
async function pool(count, task) {
  let next = 0;
  const results = new Array(count);
  async function worker() {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A read of the local D1, again while the dev server holds it locked (SQLITE_BUSY). */
async function rows(sql) {
  for (let attempt = 1; ; attempt++) {
    try {
      return localD1Rows(sql);
    } catch (error) {
      if (attempt >= 10) throw error;
      await sleep(1000);
    }
  }
}

async function main() {
  await waitFor(`${BASE_URL}/health`, 10).catch(() => {
    throw new Error(
      `tollgate is not answering at ${BASE_URL}: start it with \`npm run dev\` first`,
    );
  });
  const started = Date.now();

  const tokens = await pool(USERS, async (i) => {
    const res = await json(
      "POST",
      "/v1/auth/signup",
      { email: emailOf(i), password: "bench password 123" },
      { "cf-connecting-ip": benchIp(i) },
    );
    return res.access_token;
  });
  const signedUp = Date.now();

  // Every user listens on the live stream, as an app would.
  const received = new Map();
  let receivedTwice = 0;
  let closedEarly = 0;
  const sockets = await Promise.all(
    tokens.map(
      (token) =>
        new Promise((resolve, reject) => {
          const url = `${BASE_URL.replace(/^http/, "ws")}/v1/notifications/stream?access_token=${token}`;
          const socket = new WebSocket(url);
          socket.addEventListener("open", () => resolve(socket));
          socket.addEventListener("close", () => closedEarly++);
          socket.addEventListener("error", () => reject(new Error(`stream not opened: ${url}`)));
          socket.addEventListener("message", (message) => {
            const at = Date.now();
            const body = JSON.parse(String(message.data));
            const id = body.notification?.data?.reminder_id;
            if (!id) return;
            if (received.has(id)) receivedTwice++;
            else received.set(id, at);
          });
        }),
    ),
  );
  const listening = Date.now();
  const dueMinute = Math.ceil((listening + LEAD_SECONDS * 1000) / MINUTE) * MINUTE;

  // Spread over the due minute; user i % USERS owns reminder i.
  const dueTimes = Array.from({ length: REMINDERS }, () =>
    Math.floor(dueMinute + Math.random() * MINUTE),
  );
  const ids = await pool(REMINDERS, async (i) => {
    const reminder = await json(
      "POST",
      "/v1/reminders",
      { title: `Bench reminder ${i}`, remind_at: new Date(dueTimes[i]).toISOString() },
      { authorization: `Bearer ${tokens[i % USERS]}` },
    ).catch((error) => {
      throw new Error(`${error.message}\n(creation ran into the due minute: raise LEAD_SECONDS)`);
    });
    return reminder.id;
  });
  const created = Date.now();
  if (created >= dueMinute) throw new Error("creation ran into the due minute: raise LEAD_SECONDS");
  console.log(
    `${USERS} users signed up in ${round((signedUp - started) / 1000)} s, ${USERS} streams opened in ${round((listening - signedUp) / 1000)} s, ${REMINDERS} reminders created in ${round((created - listening) / 1000)} s; due between ${new Date(dueMinute).toISOString()} and +60 s`,
  );

  // Wait out the minute, then until every reminder is delivered (or two minutes more).
  await sleep(Math.max(0, dueMinute + MINUTE - Date.now()));
  const deadline = dueMinute + 3 * MINUTE;
  let sent = 0;
  for (;;) {
    [{ sent }] = await rows(
      `SELECT count(*) AS sent FROM reminders WHERE status = 'sent' AND user_id IN (SELECT id FROM users WHERE ${ofThisRun})`,
    );
    if ((sent >= REMINDERS && received.size >= REMINDERS) || Date.now() > deadline) break;
    await sleep(2000);
  }
  if (closedEarly > 0)
    console.log(`${closedEarly} streams closed before the end (server reloaded?)`);
  for (const socket of sockets) socket.close();
  const streamed = ids.flatMap((id, i) =>
    received.has(id) ? [received.get(id) - dueTimes[i]] : [],
  );

  const deliveries = await rows(
    `SELECT due_at, delivered_at FROM due_deliveries WHERE source = 'reminder' AND user_id IN (SELECT id FROM users WHERE ${ofThisRun})`,
  );
  const lateness = deliveries.map((d) => d.delivered_at - d.due_at);
  const [stored] = await rows(
    `SELECT count(*) AS notifications, count(DISTINCT dedupe_key) AS distinct_keys, coalesce(sum(n.created_at < r.remind_at), 0) AS early
     FROM notifications n JOIN reminders r ON n.dedupe_key = 'reminder:' || r.id
     WHERE n.user_id IN (SELECT id FROM users WHERE ${ofThisRun})`,
  );
  const duplicates = stored.notifications - stored.distinct_keys;
  const within5s = (list) => `${list.filter((ms) => ms <= 5000).length} / ${REMINDERS}`;
  const p = (list, q) => (list.length ? round(percentile(list, q)) : "-");

  console.log(
    `\n${REMINDERS} reminders across ${USERS} users, due within one minute (${new Date(dueMinute).toISOString()})\n`,
  );
  console.log(
    table([
      ["", "count", "duplicates", "lateness p50 ms", "lateness p99 ms", "max ms", "within 5 s"],
      [
        "stored (delivery record)",
        `${sent} / ${REMINDERS}`,
        duplicates,
        lateness.length ? round(median(lateness)) : "-",
        p(lateness, 99),
        p(lateness, 100),
        within5s(lateness),
      ],
      [
        "received on the stream",
        `${received.size} / ${REMINDERS}`,
        receivedTwice,
        streamed.length ? round(median(streamed)) : "-",
        p(streamed, 99),
        p(streamed, 100),
        within5s(streamed),
      ],
    ]),
  );
  console.log(
    `\nnotifications stored: ${stored.notifications} (distinct dedupe keys ${stored.distinct_keys}); stored before their remind_at: ${stored.early}`,
  );
  const exact = sent === REMINDERS && received.size === REMINDERS;
  if (!exact || duplicates !== 0 || receivedTwice !== 0 || stored.early !== 0) {
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

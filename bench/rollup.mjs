// The cron jobs at scale, against `npm run dev`: 10,000 users with 48 hours of usage each
// (480,000 usage_hourly rows) and 5,000 subscriptions, written straight into the local D1 (no
// requests needed), then each job run once through the admin API. Prints seconds per job (the
// run's own duration_ms and the client's wall time) and the D1 rows it read and wrote, as the
// runner recorded them (the run's `d1` usage).
// Checks the rollup's sums against the seeded hours, and deletes every seeded row at the end.
//   terminal 1: npm run dev        terminal 2: npm run bench:rollup
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BASE_URL, json, localD1, localD1Rows, round, table, waitFor } from "./lib.mjs";

const USERS = Number(process.env.USERS ?? 10_000);
const HOURS = 48;
const SUBSCRIPTIONS = Number(process.env.SUBSCRIPTIONS ?? 5_000);
const MAX_STATEMENT_CHARS = 90_000;
const USERS_PER_FILE = 1_000;
// [job, label, prepare]: the rollup runs four times — its first run (takes the seeded history
// over), again at once (switches to deltas), again (nothing new: what an idle hourly run costs),
// and once more after an hour closes for every seeded user (the steady state of the hourly cron:
// one closed hour of 10,000 rows to add).
const JOBS = [
  ["usage-rollup", "usage-rollup (first)"],
  ["usage-rollup", "usage-rollup (second)"],
  ["usage-rollup", "usage-rollup (nothing new)"],
  ["usage-rollup", "usage-rollup (an hour closed)", closeAnHour],
  ["retention", "retention"],
  ["renewals", "renewals"],
  ["dunning", "dunning"],
  ["revenue-snapshot", "revenue-snapshot"],
];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Never produced by newId (its alphabet has no l, o, u), so these rows are only ever the bench's.
const PREFIX = "rollupbench";
const userId = (i) => `usr_${PREFIX}_${String(i).padStart(5, "0")}`;
const USER_RANGE = [`usr_${PREFIX}_`, `usr_${PREFIX}\``];
const SUBJECT_RANGE = [`user:usr_${PREFIX}_`, `user:usr_${PREFIX}\``];
const ADMIN_EMAIL_GLOB = `${PREFIX}-admin-*@bench.invalid`;
const PASSWORD = "rollup bench password, not a secret";

/** Runs a generated SQL file against the local D1 (no dev server involved). */
function localD1File(path) {
  execFileSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "--yes", "--file", path], {
    stdio: "ignore",
    env: { ...process.env, CI: "true" },
  });
}

const quote = (s) => `'${String(s).replaceAll("'", "''")}'`;

/** Multi-row INSERTs, each under D1's limit on the length of one statement (100 KB). */
function inserts(head, rows) {
  const out = [];
  let values = [];
  let length = head.length;
  for (const row of rows) {
    if (values.length > 0 && length + row.length + 2 > MAX_STATEMENT_CHARS) {
      out.push(`${head} VALUES\n${values.join(",\n")};`);
      values = [];
      length = head.length;
    }
    values.push(row);
    length += row.length + 2;
  }
  if (values.length > 0) out.push(`${head} VALUES\n${values.join(",\n")};`);
  return out.join("\n");
}

/** A small deterministic generator, so a run's numbers can be compared with another's. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Every row the bench wrote, and every row the jobs wrote for the bench's users. */
function cleanup(adminIds) {
  const [lo, hi] = USER_RANGE;
  const users = `(user_id >= ${quote(lo)} AND user_id < ${quote(hi)}${
    adminIds.length ? ` OR user_id IN (${adminIds.map(quote).join(", ")})` : ""
  })`;
  localD1(`
    DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE ${users});
    DELETE FROM sessions WHERE ${users};
    DELETE FROM auth_tokens WHERE ${users};
    DELETE FROM email_outbox WHERE ${users};
    DELETE FROM api_keys WHERE ${users};
    DELETE FROM billing_customers WHERE ${users};
    DELETE FROM coupon_redemptions WHERE ${users};
    DELETE FROM payments WHERE ${users};
    DELETE FROM subscriptions WHERE ${users};
    DELETE FROM subscriber_mrr WHERE ${users};
    DELETE FROM audit_log WHERE actor_id IN (${adminIds.map(quote).join(", ") || "''"});
    DELETE FROM usage_hourly WHERE subject >= ${quote(SUBJECT_RANGE[0])} AND subject < ${quote(SUBJECT_RANGE[1])};
    DELETE FROM usage_daily WHERE subject >= ${quote(SUBJECT_RANGE[0])} AND subject < ${quote(SUBJECT_RANGE[1])};
    DELETE FROM users WHERE (id >= ${quote(lo)} AND id < ${quote(hi)}) OR email GLOB ${quote(ADMIN_EMAIL_GLOB)};
  `);
}

/**
 * Each seeded hour as if flushed five minutes after it closed (never after the seeding): the
 * rollup's cursor, now at the seeding time, then finds only the latest hour new.
 */
/** The last closed hour flushed again by every seeded user's object, one more call each. */
function closeAnHour(now) {
  const [lo, hi] = SUBJECT_RANGE;
  const hour = Math.floor(now / HOUR) * HOUR - HOUR;
  localD1(`UPDATE usage_hourly SET allowed = allowed + 1, updated_at = ${now}
    WHERE hour = ${hour} AND subject >= ${quote(lo)} AND subject < ${quote(hi)}`);
}

/** Day totals again from what usage_daily holds, for the days the bench's usage touched. */
function refreshTotals(days) {
  if (days.length === 0) return;
  localD1(`
    UPDATE usage_daily_totals SET
      allowed = (SELECT coalesce(sum(allowed), 0) FROM usage_daily d WHERE d.day = usage_daily_totals.day),
      denied = (SELECT coalesce(sum(denied), 0) FROM usage_daily d WHERE d.day = usage_daily_totals.day),
      active_subjects = (SELECT count(*) FROM usage_daily d WHERE d.day = usage_daily_totals.day AND d.allowed > 0)
    WHERE day IN (${days.join(", ")});
  `);
}

function seed(dir, now) {
  const random = rng(20310101);
  const currentHour = Math.floor(now / HOUR) * HOUR;
  const expected = new Map(); // day → { allowed, denied, subjects, active }
  const userRows = [];
  for (let i = 0; i < USERS; i++) {
    const created = now - Math.floor(random() * 90) * DAY;
    userRows.push(
      `(${quote(userId(i))}, ${quote(`${userId(i)}@bench.invalid`)}, 'user', 'active', 'x', '{}', ${created}, ${created})`,
    );
  }
  const plans = ["pln_free", "pln_basic", "pln_pro", "pln_pro", "pln_enterprise"];
  const subRows = [];
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    const plan = plans[i % plans.length];
    const interval = i % 5 === 0 ? "year" : "month";
    const length = interval === "year" ? 365 * DAY : 30 * DAY;
    // Stripe subscriptions end in the future (no provider call in dev); manual ones may be due.
    const stripe = i % 2 === 0;
    const status = stripe
      ? ["active", "active", "active", "trialing", "canceled", "past_due"][i % 6]
      : ["active", "active", "trialing", "past_due", "paused", "canceled", "expired"][i % 7];
    const end = stripe
      ? now + (1 + Math.floor(random() * 29)) * DAY
      : now + Math.floor((random() * 35 - 5) * DAY);
    const pastDueSince = status === "past_due" ? now - Math.floor(random() * 20) * DAY : null;
    const standing = status === "past_due" ? "past_due" : "good";
    const trialEnd = status === "trialing" ? end : null;
    const ended = status === "canceled" || status === "expired" ? now - DAY : null;
    const created = end - length - 30 * DAY;
    subRows.push(
      `(${quote(`sub_${PREFIX}_${i}`)}, ${quote(userId(i))}, ${quote(plan)}, ${quote(interval)}, ${quote(status)}, ${quote(standing)}, ${quote(stripe ? "stripe" : "manual")}, ${stripe ? quote(`sub_stripe_${PREFIX}_${i}`) : "NULL"}, ${end - length}, ${end}, ${trialEnd ?? "NULL"}, ${ended ?? "NULL"}, ${ended ?? "NULL"}, ${pastDueSince ?? "NULL"}, ${created}, ${created})`,
    );
  }
  const files = [join(dir, "users.sql")];
  writeFileSync(
    files[0],
    `${inserts(
      "INSERT INTO users (id, email, role, status, password_hash, settings, created_at, updated_at)",
      userRows,
    )}\n${inserts(
      "INSERT INTO subscriptions (id, user_id, plan_id, interval, status, standing, provider, provider_subscription_id, current_period_start, current_period_end, trial_end, canceled_at, ended_at, past_due_since, created_at, updated_at)",
      subRows,
    )}\n`,
  );

  for (let first = 0; first < USERS; first += USERS_PER_FILE) {
    const rows = [];
    for (let i = first; i < Math.min(USERS, first + USERS_PER_FILE); i++) {
      // One user in ten only ever hits its limit: usage, but not an active user.
      const onlyDenied = i % 10 === 9;
      const allowedPerDay = new Map();
      for (let k = 1; k <= HOURS; k++) {
        const hour = currentHour - k * HOUR;
        const allowed = onlyDenied ? 0 : Math.floor(random() * 1000);
        const denied = Math.floor(random() * 4) === 0 ? Math.floor(random() * 50) : 0;
        const day = Math.floor(hour / DAY) * DAY;
        const e = expected.get(day) ?? { allowed: 0, denied: 0, subjects: 0, active: 0 };
        e.allowed += allowed;
        e.denied += denied;
        expected.set(day, e);
        allowedPerDay.set(day, (allowedPerDay.get(day) ?? 0) + allowed);
        // Flushed at seeding time: the rollup's cursor sees them as new.
        rows.push(`(${quote(`user:${userId(i)}`)}, ${hour}, ${allowed}, ${denied}, ${now})`);
      }
      for (const [day, allowed] of allowedPerDay) {
        const e = expected.get(day);
        e.subjects++;
        if (allowed > 0) e.active++;
      }
    }
    const file = join(dir, `usage-${first}.sql`);
    writeFileSync(
      file,
      `${inserts("INSERT INTO usage_hourly (subject, hour, allowed, denied, updated_at)", rows)}\n`,
    );
    files.push(file);
  }
  return { files, expected };
}

async function main() {
  await waitFor(`${BASE_URL}/health`, 10).catch(() => {
    throw new Error(
      `tollgate is not answering at ${BASE_URL}: start it with \`npm run dev\` first`,
    );
  });
  const leftovers = localD1Rows(
    `SELECT id FROM users WHERE email GLOB ${quote(ADMIN_EMAIL_GLOB)}`,
  ).map((r) => r.id);
  cleanup(leftovers);

  const now = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "tollgate-rollup-bench-"));
  const adminIds = [];
  let expected = new Map();
  try {
    console.log(
      `seeding ${USERS} users, ${USERS * HOURS} usage_hourly rows, ${SUBSCRIPTIONS} subscriptions…`,
    );
    const seeded = seed(dir, now);
    expected = seeded.expected;
    const t0 = performance.now();
    for (const file of seeded.files) localD1File(file);
    console.log(`seeded in ${round((performance.now() - t0) / 1000)} s`);

    // An admin: sign up, promote in D1, log in again (the role is in the token).
    const email = `${PREFIX}-admin-${now.toString(36)}@bench.invalid`;
    const signup = await json("POST", "/v1/auth/signup", { email, password: PASSWORD });
    adminIds.push(signup.user.id);
    localD1(`UPDATE users SET role = 'admin' WHERE id = ${quote(signup.user.id)}`);
    const login = await json("POST", "/v1/auth/login", { email, password: PASSWORD });
    const auth = { authorization: `Bearer ${login.access_token}` };

    const rows = [
      [
        "job",
        "status",
        "duration_ms",
        "wall s",
        "D1 rows read",
        "D1 rows written",
        "D1 queries (unmetered)",
        "counts",
      ],
    ];
    for (const [name, label, prepare] of JOBS) {
      prepare?.(now);
      const started = performance.now();
      const run = await json("POST", `/v1/admin/jobs/${name}/run`, {}, auth);
      const wall = (performance.now() - started) / 1000;
      const counts = run.counts ?? {};
      const { rows_read: read, rows_written: written, queries, unmetered } = run.d1 ?? {};
      rows.push([
        label,
        run.status === "ok" ? "ok" : `${run.status}: ${String(run.error).slice(0, 60)}`,
        run.duration_ms,
        round(wall, 2),
        read ?? "n/a",
        written ?? "n/a",
        queries === undefined ? "n/a" : `${queries} (${unmetered ?? 0})`,
        Object.entries(counts)
          .map(([k, v]) => `${k}=${v}`)
          .join(" "),
      ]);
    }

    // The rollup's sums for the bench's subjects, day by day, against what was seeded.
    const [lo, hi] = SUBJECT_RANGE;
    const got = localD1Rows(
      `SELECT day, sum(allowed) AS allowed, sum(denied) AS denied, count(*) AS subjects,
         sum(allowed > 0) AS active
       FROM usage_daily WHERE subject >= ${quote(lo)} AND subject < ${quote(hi)}
       GROUP BY day ORDER BY day`,
    );
    // Against the hours themselves, as they stand after every change above.
    const want = localD1Rows(
      `SELECT day, sum(allowed) AS allowed, sum(denied) AS denied, count(*) AS subjects,
         sum(allowed > 0) AS active
       FROM (SELECT subject, hour - hour % ${DAY} AS day, sum(allowed) AS allowed,
               sum(denied) AS denied
             FROM usage_hourly WHERE subject >= ${quote(lo)} AND subject < ${quote(hi)}
             GROUP BY subject, day)
       GROUP BY day ORDER BY day`,
    );
    const exact = JSON.stringify(got) === JSON.stringify(want);

    console.log(
      `\n${USERS} users × ${HOURS} hours (${USERS * HOURS} usage_hourly rows over ${want.length} UTC days), ${SUBSCRIPTIONS} subscriptions; each job run through POST /v1/admin/jobs/{name}/run\n`,
    );
    console.log(table(rows));
    console.log(
      `\nrollup exact (per-day sums, subjects and active subjects of the seeded users, against their hours): ${exact ? "yes" : "NO"}`,
    );
    if (!exact) {
      console.log("expected", want, "got", got);
      process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    cleanup(adminIds);
    refreshTotals([...expected.keys()]);
    console.log("seeded rows deleted (day totals of the seeded days recomputed without them)");
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

// Users: search by email (or open a pasted user id), filter by plan, standing and status (the
// filters live in the URL), a page of users with colour-coded plan and standing and a usage bar
// per window, and a CSV export of every user the filters match.
import { formatDate } from "../../shared/format";
import { useLoad } from "../../shared/load";
import { Link, navigate, useRoute } from "../../shared/router";
import { admin, cachedPlans } from "../admin-api";
import { humanize } from "../colours";
import { PlanTag, StandingTag, StatusTag, UsageBars } from "../components";
import { usersCsv } from "../csv";
import { ExportButton } from "../export";
import { PagedList, TableHead } from "../lists";
import {
  type FilterValues,
  hasFilters,
  queryString,
  readFilters,
  searchTarget,
  USER_FILTERS,
} from "../query";
import { STANDINGS, USER_STATUSES } from "../types";

type Filters = FilterValues<typeof USER_FILTERS>;

function go(filters: Filters) {
  navigate(`/users${queryString(filters)}`);
}

function FilterBar({ filters }: { filters: Filters }) {
  const plans = useLoad(() => cachedPlans(), []);
  const set = (key: keyof Filters) => (event: Event & { currentTarget: HTMLSelectElement }) =>
    go({ ...filters, [key]: event.currentTarget.value });
  return (
    <form
      class="filters"
      aria-label="Find users"
      onSubmit={(event) => {
        event.preventDefault();
        const q = String(new FormData(event.currentTarget).get("q") ?? "");
        const target = searchTarget(q);
        if (target.kind === "user") navigate(`/users/${target.id}`);
        else go({ ...filters, q: target.q });
      }}
    >
      <div class="field">
        <label for="user-search">Email or user id</label>
        <input id="user-search" name="q" type="search" defaultValue={filters.q} key={filters.q} />
      </div>
      <div class="field">
        <label for="user-plan">Plan</label>
        <select id="user-plan" value={filters.plan} onChange={set("plan")}>
          <option value="">Any plan</option>
          {(plans.data ?? []).map((p) => (
            <option key={p.id} value={p.code}>
              {p.name} ({p.code})
            </option>
          ))}
          {filters.plan && !plans.data?.some((p) => p.code === filters.plan) ? (
            <option value={filters.plan}>{filters.plan}</option>
          ) : null}
        </select>
      </div>
      <div class="field">
        <label for="user-standing">Standing</label>
        <select id="user-standing" value={filters.standing} onChange={set("standing")}>
          <option value="">Any standing</option>
          {STANDINGS.map((s) => (
            <option key={s} value={s}>
              {humanize(s)}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="user-status">Status</label>
        <select id="user-status" value={filters.status} onChange={set("status")}>
          <option value="">Any status</option>
          {USER_STATUSES.map((s) => (
            <option key={s} value={s}>
              {humanize(s)}
            </option>
          ))}
        </select>
      </div>
      <div class="actions filter-actions">
        <button type="submit" class="primary">
          Search
        </button>
        {hasFilters(filters) ? (
          <button type="button" onClick={() => navigate("/users")}>
            Clear filters
          </button>
        ) : null}
      </div>
    </form>
  );
}

export function UsersPage() {
  useRoute();
  const filters = readFilters(USER_FILTERS, location.search);
  const key = queryString(filters);
  return (
    <>
      <div class="section-head">
        <h1>Users</h1>
        <ExportButton
          noun="users"
          fetchPage={(cursor) => admin.users(filters, { cursor, limit: 100, usage: true })}
          toCsv={usersCsv}
        />
      </div>
      <FilterBar filters={filters} />
      <UserTable key={key} filters={filters} />
    </>
  );
}

function UserTable({ filters }: { filters: Filters }) {
  return (
    <PagedList
      load={(page) => admin.users(filters, { ...page, usage: true })}
      label="Users"
      empty={`No users match${hasFilters(filters) ? " these filters" : ""}.`}
    >
      {(users) => (
        <table class="users">
          <caption class="visually-hidden">
            Users, newest first{hasFilters(filters) ? ", filtered" : ""}
          </caption>
          <TableHead
            columns={[
              "User",
              "Plan",
              "Standing",
              "Status",
              "Usage (minute, hour, day, month)",
              "Joined",
            ]}
          />
          <tbody>
            {users.map((u) => (
              <tr key={u.id}>
                <th scope="row">
                  <Link to={`/users/${u.id}`}>{u.email}</Link>
                  {u.name ? <span class="muted sub">{u.name}</span> : null}
                  {u.role === "admin" ? <span class="muted sub">admin</span> : null}
                </th>
                <td>
                  <PlanTag code={u.plan} />
                </td>
                <td>
                  <StandingTag standing={u.standing} />
                </td>
                <td>
                  <StatusTag status={u.status} />
                </td>
                <td>
                  {u.usage ? (
                    <UsageBars windows={u.usage} who={u.email} />
                  ) : (
                    <span class="muted">–</span>
                  )}
                </td>
                <td>{formatDate(u.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </PagedList>
  );
}

// The audit log: every admin action, newest first, filtered by action, actor or target.
import { useRoute } from "../../shared/router";
import { admin } from "../admin-api";
import { FilterForm, PagedList } from "../lists";
import { AUDIT_FILTERS, type FilterValues, hasFilters, queryString, readFilters } from "../query";
import { AuditTable } from "../tables";

type Filters = FilterValues<typeof AUDIT_FILTERS>;

export function AuditPage() {
  useRoute();
  const filters = readFilters(AUDIT_FILTERS, location.search);
  return (
    <>
      <h1>Audit log</h1>
      <FilterForm
        path="/audit"
        label="Filter the audit log"
        values={filters}
        fields={[
          { name: "action", label: "Action", placeholder: "user.update" },
          { name: "actor_id", label: "By (admin id)", placeholder: "usr_…" },
          { name: "target_id", label: "Target id", placeholder: "usr_… or pay_…" },
        ]}
      />
      <AuditList key={queryString(filters)} filters={filters} />
    </>
  );
}

function AuditList({ filters }: { filters: Filters }) {
  return (
    <PagedList
      load={(page) => admin.audit(filters, page)}
      label="Audit"
      empty={`No entries${hasFilters(filters) ? " match these filters" : " yet"}.`}
    >
      {(entries) => <AuditTable entries={entries} />}
    </PagedList>
  );
}

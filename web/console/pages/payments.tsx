// Payments: every payment, newest first, filtered by status or user, refunds, and a CSV export
// of every payment the filters match.
import { useState } from "preact/hooks";
import { useRoute } from "../../shared/router";
import { admin } from "../admin-api";
import { paymentsCsv } from "../csv";
import { ExportButton } from "../export";
import { FilterForm, PagedList } from "../lists";
import { type FilterValues, hasFilters, PAYMENT_FILTERS, queryString, readFilters } from "../query";
import { RefundDialog } from "../refund";
import { PaymentTable } from "../tables";
import { PAYMENT_STATUSES, type Payment } from "../types";

type Filters = FilterValues<typeof PAYMENT_FILTERS>;

export function PaymentsPage() {
  useRoute();
  const filters = readFilters(PAYMENT_FILTERS, location.search);
  const key = queryString(filters);
  return (
    <>
      <div class="section-head">
        <h1>Payments</h1>
        <ExportButton
          noun="payments"
          fetchPage={(cursor) => admin.payments(filters, { cursor, limit: 100 })}
          toCsv={paymentsCsv}
        />
      </div>
      <FilterForm
        path="/payments"
        label="Filter payments"
        values={filters}
        fields={[
          { name: "status", label: "Status", options: PAYMENT_STATUSES },
          { name: "user_id", label: "User id", placeholder: "usr_…" },
        ]}
      />
      <PaymentList key={key} filters={filters} />
    </>
  );
}

function PaymentList({ filters }: { filters: Filters }) {
  const [refunding, setRefunding] = useState<{
    payment: Payment;
    reload: () => Promise<void>;
  } | null>(null);
  return (
    <PagedList
      load={(page) => admin.payments(filters, page)}
      label="Payments"
      empty={`No payments${hasFilters(filters) ? " match these filters" : " yet"}.`}
    >
      {(payments, reload) => (
        <>
          <PaymentTable
            payments={payments}
            onRefund={(payment) => setRefunding({ payment, reload })}
            showUser
          />
          {refunding ? (
            <RefundDialog
              payment={refunding.payment}
              onClose={() => setRefunding(null)}
              onDone={() => void refunding.reload()}
            />
          ) : null}
        </>
      )}
    </PagedList>
  );
}

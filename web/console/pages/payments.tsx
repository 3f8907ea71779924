// Payments: every payment, newest first, filtered by status or user, refunds, and a CSV export
// of every payment the filters match.
import { useState } from "preact/hooks";
import { useLoad } from "../../shared/load";
import { useRoute } from "../../shared/router";
import { admin } from "../admin-api";
import { FilterForm, Loading, Pager, useCursorPager } from "../components";
import { paymentsCsv } from "../csv";
import { ExportButton } from "../export";
import { type FilterValues, hasFilters, PAYMENT_FILTERS, queryString, readFilters } from "../query";
import { RefundDialog } from "../refund";
import { PAYMENT_STATUSES, type Payment } from "../types";
import { PaymentTable } from "./user";

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
  const pager = useCursorPager();
  const payments = useLoad(
    () => admin.payments(filters, { cursor: pager.cursor, limit: 25 }),
    [pager.cursor],
  );
  const [refunding, setRefunding] = useState<Payment | null>(null);
  return (
    <>
      <Loading state={payments}>
        {(page) =>
          page.data.length === 0 ? (
            <p class="empty">No payments{hasFilters(filters) ? " match these filters" : " yet"}.</p>
          ) : (
            <>
              <PaymentTable payments={page.data} onRefund={setRefunding} showUser />
              <Pager pager={pager} nextCursor={page.next_cursor} label="Payments" />
            </>
          )
        }
      </Loading>
      {refunding ? (
        <RefundDialog
          payment={refunding}
          onClose={() => setRefunding(null)}
          onDone={() => void payments.reload()}
        />
      ) : null}
    </>
  );
}

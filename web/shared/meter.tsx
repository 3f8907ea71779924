// A usage meter: its numbers as text, and a bar that turns amber at 80% and red at 100% (the
// text says so too, so colour is never the only signal).
import { meterWidth, usageLabel, usageLevel, usagePercent } from "./format";

const LEVEL_TEXT = { ok: "", warn: "Nearly full", over: "Limit reached" } as const;

export function UsageMeter({
  label,
  used,
  limit,
  detail,
}: {
  label: string;
  used: number;
  limit: number | null;
  detail?: string;
}) {
  const percent = usagePercent(used, limit);
  const level = usageLevel(percent);
  return (
    <div class={`meter meter-${level}`}>
      <div class="meter-head">
        <span class="meter-label">{label}</span>
        <span class="meter-value">
          {usageLabel(used, limit)}
          {LEVEL_TEXT[level] ? <strong class="meter-flag"> · {LEVEL_TEXT[level]}</strong> : null}
        </span>
      </div>
      {/* The bar only repeats the text above it, for the eye. */}
      <div class="meter-track" aria-hidden="true">
        <div class="meter-fill" style={{ width: `${meterWidth(percent)}%` }} />
      </div>
      {detail ? <p class="hint">{detail}</p> : null}
    </div>
  );
}

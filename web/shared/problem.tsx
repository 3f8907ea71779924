// How a failed request is shown: the problem's title and detail, and each invalid field.
import { Problem } from "./api";

/** A problem (or any error) as a Problem, for display. */
export function asProblem(error: unknown): Problem {
  if (error instanceof Problem) return error;
  return new Problem({
    status: 0,
    code: "client_error",
    title: "Something went wrong",
    detail: error instanceof Error ? error.message : String(error),
  });
}

/** Field errors keyed by the field's path ("password", "limits.minute"). */
export function fieldMessages(problem: Problem | null): Record<string, string> {
  const messages: Record<string, string> = {};
  for (const error of problem?.errors ?? []) messages[error.path] ??= error.message;
  return messages;
}

/** The alert a form or page shows for a failed request; nothing when there is none. */
export function ProblemAlert({ problem }: { problem: Problem | null }) {
  if (!problem) return null;
  return (
    <div class="alert alert-error" role="alert">
      <strong>{problem.title}</strong>
      {problem.detail && problem.detail !== problem.title ? <p>{problem.detail}</p> : null}
      {problem.errors.length > 0 ? (
        <ul>
          {problem.errors.map((e) => (
            <li key={`${e.path}:${e.message}`}>
              {e.path ? <code>{e.path}</code> : null} {e.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

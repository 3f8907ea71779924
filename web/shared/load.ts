// Loading data for a view: the answer, the problem, and a way to load again.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { Problem } from "./api";
import { asProblem } from "./problem";

export interface Loaded<T> {
  data: T | undefined;
  problem: Problem | null;
  loading: boolean;
  reload: () => Promise<void>;
}

/** Runs `load` on mount and whenever `deps` change; a newer run wins over a slower older one. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[] = []): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; problem: Problem | null }>({
    data: undefined,
    problem: null,
  });
  const [loading, setLoading] = useState(true);
  const latest = useRef(0);
  const run = useCallback(async () => {
    const run = ++latest.current;
    setLoading(true);
    try {
      const data = await load();
      if (run === latest.current) setState({ data, problem: null });
    } catch (error) {
      if (run === latest.current) setState((s) => ({ data: s.data, problem: asProblem(error) }));
    } finally {
      if (run === latest.current) setLoading(false);
    }
  }, deps);
  useEffect(() => {
    void run();
  }, [run]);
  return { ...state, loading, reload: run };
}

/**
 * A route path as a matcher of request paths. Both spellings of a parameter are understood:
 * Hono's `/users/:id` and OpenAPI's `/users/{id}`; a parameter matches one segment.
 */
export function pathMatcher(routePath: string): RegExp {
  const pattern = routePath
    .split("/")
    .map((part) =>
      part.startsWith(":") || /^\{[^}]+\}$/.test(part)
        ? "[^/]+"
        : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("/");
  return new RegExp(`^${pattern}$`);
}

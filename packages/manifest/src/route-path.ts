/**
 * Syntax of a route path and of its methods, checked at load time. Matching
 * itself belongs to the routes package; these rules only refuse paths that
 * its matcher could never (or never sensibly) match.
 */

/** What is wrong with a route path, one fix-it sentence per issue; empty when fine. */
export function routePathIssues(path: string): string[] {
  if (path.trim() === '') return ['The route path is empty. Use "/" for the plugin root, or a path such as "/items/:id".'];
  const issues: string[] = [];
  if (/[?#]/.test(path)) {
    issues.push('Remove the "?…" or "#…" part: requests are matched on the path alone, without query or fragment.');
  }
  const segments = (path.startsWith('/') ? path : `/${path}`).split('/').slice(1);
  const parameterNames = new Set<string>();
  segments.forEach((segment, index) => {
    const isLast = index === segments.length - 1;
    if (segment === '*') {
      if (!isLast) issues.push('"*" is only allowed as the last segment, as in "/files/*".');
    } else if (segment.includes('*')) {
      issues.push(`Segment "${segment}" mixes "*" with text. A wildcard is a whole last segment: write "/files/*".`);
    }
    if (segment.startsWith(':')) {
      const name = segment.slice(1);
      if (name === '') issues.push('A ":" segment needs a parameter name, as in "/items/:id".');
      else if (parameterNames.has(name)) issues.push(`Parameter ":${name}" appears twice. Give each parameter its own name.`);
      parameterNames.add(name);
    }
  });
  if (parameterNames.size > 0 && segments[segments.length - 1] === '*') {
    issues.push('Combine either ":param" segments or a trailing "/*", not both: the wildcard prefix is compared literally, so this route would never match.');
  }
  return issues;
}

// RFC 9110 token characters.
const methodToken = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Whether `method` can be an HTTP method name at all (case does not matter: matching ignores it). */
export function isHttpMethodToken(method: string): boolean {
  return methodToken.test(method);
}

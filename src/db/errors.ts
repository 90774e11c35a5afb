/** True when a statement failed on a unique index (optionally a given one), whichever driver ran it. */
export function isUniqueViolation(error: unknown, indexName?: string): boolean {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const { code, constraint, constraint_name } = e as Record<string, unknown>;
    if (code === '23505') return !indexName || constraint === indexName || constraint_name === indexName;
  }
  return false;
}

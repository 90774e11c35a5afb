/**
 * Display masks: nothing unmasked leaves the service. Both count Unicode code points, so a name
 * starting with a supplementary character such as '𠀀' is never split inside a surrogate pair.
 */

/**
 * `张三丰` → `张**`, `李` → `李*`. Minority names mask the '·' too (`买买提·艾力` → `买*****`):
 * a visible dot would reveal the shape of the name for no display benefit.
 */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length === 0) return '';
  return chars[0] + '*'.repeat(Math.max(1, chars.length - 1));
}

/**
 * `110101199003079438` → `110101********9438` (region and last 4, as the design asks). Any other
 * length keeps at most a quarter at each end and never more than 5 there, so ≤ 10 characters show.
 */
export function maskIdCardNumber(idCardNumber: string): string {
  const chars = [...idCardNumber];
  if (chars.length === 18) return `${chars.slice(0, 6).join('')}${'*'.repeat(8)}${chars.slice(14).join('')}`;
  const kept = Math.min(5, Math.floor(chars.length / 4));
  if (kept === 0) return '*'.repeat(chars.length);
  return chars.slice(0, kept).join('') + '*'.repeat(chars.length - 2 * kept) + chars.slice(-kept).join('');
}

/**
 * Text a tracker sent us (failure reason, warning) goes to a terminal: keep it short and
 * free of control characters so a hostile tracker cannot inject escape sequences.
 */
export function printable(bytes: Buffer | string, max = 200): string {
  const s = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

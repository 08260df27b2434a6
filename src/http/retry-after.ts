/**
 * HTTP-dates and Retry-After (RFC 9110 §5.6.7, §10.2.3), pure. Hand-written rather than Date.parse, which accepts
 * "-1" and "2024" as dates and reads asctime (which has no zone, but means GMT) as local time.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// RFC 9110 §5.6.7: IMF-fixdate, plus the obsolete RFC 850 and asctime forms recipients must accept.
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC_850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/**
 * Parse an HTTP-date to ms since the epoch. Hand-written rather than Date.parse, which accepts "-1" and "2024"
 * as dates and reads asctime (which has no zone, but means GMT) as local time.
 */
export function parseHttpDate(value: string, now: number): number | undefined {
  const parts = httpDateParts(value, now);
  if (parts === undefined) return undefined;
  const [year, month, day, h, m, s] = parts;
  const time = Date.UTC(year, month, day, h, m, s);
  const date = new Date(time);
  // Date.UTC rolls "31 Feb" or "25:00" over silently; a date that does not round-trip is garbage.
  const roundTrips =
    date.getUTCFullYear() === year && date.getUTCMonth() === month && date.getUTCDate() === day && date.getUTCHours() === h && date.getUTCMinutes() === m && date.getUTCSeconds() === s;
  return roundTrips ? time : undefined;
}

/** [year, month 0-11, day, hours, minutes, seconds] of the three HTTP-date forms. */
function httpDateParts(value: string, now: number): [number, number, number, number, number, number] | undefined {
  let match = IMF_FIXDATE.exec(value);
  if (match) return [Number(match[3]), monthIndex(match[2]), Number(match[1]), Number(match[4]), Number(match[5]), Number(match[6])];
  if ((match = RFC_850.exec(value))) {
    // Two-digit years more than 50 years in the future mean the past century (RFC 9110 §5.6.7).
    const latest = new Date(now).getUTCFullYear() + 50;
    let year = 2000 + Number(match[3]);
    while (year > latest) year -= 100;
    return [year, monthIndex(match[2]), Number(match[1]), Number(match[4]), Number(match[5]), Number(match[6])];
  }
  if ((match = ASCTIME.exec(value))) {
    return [Number(match[6]), monthIndex(match[1]), Number(match[2]), Number(match[3]), Number(match[4]), Number(match[5])];
  }
  return undefined;
}

function monthIndex(name: string | undefined): number {
  return MONTHS.indexOf((name ?? '').toLowerCase());
}

/**
 * Retry-After → milliseconds to wait from `now`: delta-seconds (digits only) or an HTTP-date.
 * Dates in the past give 0; anything else (negative, fractional, junk) gives undefined.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, Number.MAX_SAFE_INTEGER);
  const date = parseHttpDate(trimmed, now);
  return date === undefined ? undefined : Math.max(0, date - now);
}


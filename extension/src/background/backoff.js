// How long to wait before the next attempt to reach the native host. Quick at first (the relay may
// just be starting the daemon), then slower, capped so a host installed while the browser runs is
// found within half a minute without the user pressing Retry.

const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 30_000;

/**
 * Delay before attempt number `attempt` (0 = first retry): 0.5 s, 1 s, 2 s, … capped at 30 s,
 * spread by ±20 % with `random` so many browsers restarted together do not retry in step.
 */
export function backoffDelay(attempt, random = Math.random) {
  const n = Math.max(0, Math.floor(attempt));
  const raw = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(n, 16));
  const spread = 0.8 + 0.4 * random();
  return Math.round(Math.min(BACKOFF_CAP_MS, raw * spread));
}

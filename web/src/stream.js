// WebSocket client for /api/v1/stream with reconnection and exponential backoff (0.5 s doubling to 10 s,
// with jitter of up to half the delay so that many clients do not reconnect in step).

export const BACKOFF_FIRST_MS = 500;
export const BACKOFF_MAX_MS = 10000;

export function backoffDelayMs(attempt, random = Math.random) {
  const d = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** attempt);
  return Math.round(d * (0.5 + 0.5 * random()));
}

/**
 * @param {() => string} urlOf the stream URL (with the token)
 * @param {{onMessage:(m:object)=>void, onState:(state:string, info:object)=>void}} handlers
 */
export function openStream(urlOf, { onMessage, onState }) {
  let ws = null;
  let attempt = 0;
  let timer = null;
  let closed = false;
  let gotMessage = false;

  function connect() {
    if (closed) return;
    onState(attempt === 0 ? "connecting" : "reconnecting", { attempt });
    gotMessage = false;
    try {
      ws = new WebSocket(urlOf());
    } catch (e) {
      schedule();
      return;
    }
    ws.onopen = () => onState("connected", { attempt });
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        console.warn("dronewall: a stream message is not JSON", String(ev.data).slice(0, 80));
        return;
      }
      if (!gotMessage) {
        gotMessage = true;
        attempt = 0;
      }
      onMessage(msg);
    };
    ws.onclose = (ev) => {
      ws = null;
      if (closed) return;
      onState("closed", { code: ev.code, reason: ev.reason });
      schedule();
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  function schedule() {
    if (closed) return;
    const delay = backoffDelayMs(attempt);
    attempt += 1;
    onState("reconnecting", { attempt, delayMs: delay });
    timer = setTimeout(connect, delay);
  }

  connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      if (ws) ws.close();
    },
    /** Drop the connection and reconnect at once (to get a fresh snapshot). */
    resync() {
      attempt = 0;
      if (ws) ws.close();
    },
  };
}

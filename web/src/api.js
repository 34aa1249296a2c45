// REST client for the picture service API v1 (docs/api.md): Bearer token, JSON, errors as ApiError.

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0 when the request never reached the server)
   * @param {string} detail the server's `detail` text, or a description of the failure
   * @param {string} path the request path
   */
  constructor(status, detail, path) {
    super(`${status || "network"} on ${path}: ${detail}`);
    this.status = status;
    this.detail = detail;
    this.path = path;
  }
}

/** Human text for an API error, naming what the role or state forbids. */
export function describeError(err) {
  if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
  const what = {
    0: "server unreachable",
    401: "not signed in (unknown or missing token)",
    403: "forbidden for your role",
    404: "not found",
    409: "conflict",
    422: "rejected input",
  }[err.status];
  return `${err.status ? err.status + " " : ""}${what ?? "error"}: ${err.detail}`;
}

function detailOf(data, text, res) {
  if (data && typeof data.detail === "string") return data.detail;
  if (data && data.detail !== undefined) return JSON.stringify(data.detail);
  return text || res.statusText || "no detail";
}

export function makeApi(token) {
  const base = new URL("api/v1/", document.baseURI);
  async function request(method, path, body) {
    const url = new URL(path, base);
    const headers = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res;
    try {
      res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new ApiError(0, String(e && e.message ? e.message : e), url.pathname);
    }
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!res.ok) throw new ApiError(res.status, detailOf(data, text, res), url.pathname);
    return data;
  }
  return {
    get: (path) => request("GET", path),
    post: (path, body = {}) => request("POST", path, body),
    streamUrl() {
      const url = new URL("stream", base);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      url.searchParams.set("token", token);
      return url.toString();
    },
  };
}

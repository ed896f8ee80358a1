// The REST API v1 client: configuration, JSON requests, RFC 9457 problem details and the presigned PUT.

/** A response from the API (or the object store) that is not a success; `problem` is its problem detail, if any. */
export class ApiError extends Error {
  constructor(status, statusText, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}${statusText ? ' ' + statusText : ''}`);
    this.name = 'ApiError';
    this.status = status;
    this.statusText = problem?.title || statusText || '';
    this.problem = problem;
  }

  /** "415 Unsupported Media Type" */
  get heading() {
    return `${this.status}${this.statusText ? ' ' + this.statusText : ''}`;
  }
}

/** The request never got an answer: the API is down, unreachable, or blocked. */
export class NetworkError extends Error {
  constructor(message) {
    super(message);
    this.name = 'NetworkError';
  }
}

let apiBase = '';

/**
 * Reads config.json beside the page. `apiBaseUrl` empty (or the file missing) means the API is on this page's origin;
 * otherwise it is the API's root, e.g. https://abc.execute-api.eu-west-1.amazonaws.com.
 */
export async function loadConfig() {
  let config = {};
  try {
    const response = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store' });
    if (response.ok) {
      config = await response.json();
    }
  } catch {
    // No config (or not JSON): same origin.
  }

  apiBase = typeof config.apiBaseUrl === 'string' ? config.apiBaseUrl.trim().replace(/\/+$/, '') : '';
  return { apiBaseUrl: apiBase };
}

/** The API's URL for a path such as `/v1/images`. */
export function apiUrl(path) {
  return apiBase + path;
}

/** Where the API lives, for messages. */
export function apiOrigin() {
  return apiBase || window.location.origin;
}

function parseProblem(text) {
  if (!text) {
    return null;
  }

  try {
    const body = JSON.parse(text);
    return body && typeof body === 'object' && (body.detail || body.title) ? body : null;
  } catch {
    return null;
  }
}

// On a deployment that signs in: where the access token comes from, and who hears of a 401 (see auth.js).
let authorization = null;

/**
 * Sends every API call with `Authorization: Bearer <access token>` from now on.
 * @param {{ accessToken: () => Promise<string|null>, unauthorized: (token: string|null) => boolean }} session
 */
export function useSignIn(session) {
  authorization = session;
}

/**
 * Whether API calls carry a bearer token: links to the API's redirect routes would then answer 401 (an <a href> sends
 * no token), so the page links to the presigned URLs the detail carries instead.
 */
export function signedInCalls() {
  return authorization !== null;
}

async function request(method, path, body) {
  const headers = body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' };
  const token = authorization ? await authorization.accessToken() : null;
  if (token) {
    headers.Authorization = `Bearer ${token}`;
  }

  let response;
  try {
    response = await fetch(apiUrl(path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw new NetworkError(`Cannot reach the API at ${apiOrigin()}. Is the server running?`);
  }

  if (response.status === 204) {
    return null;
  }

  const text = await response.text().catch(() => '');
  if (response.status === 401 && authorization) {
    // The session is over (or was never there): sign in again.
    const leaving = authorization.unauthorized(token);
    const refusal = parseProblem(text)?.detail;
    throw new ApiError(401, response.statusText, {
      title: 'Unauthorized',
      detail: leaving
        ? 'Your session has ended; signing in again…'
        : `The API refused the access token the sign-in has just issued${refusal ? `: ${refusal}` : '.'}`,
    });
  }

  if (!response.ok) {
    throw new ApiError(response.status, response.statusText, parseProblem(text));
  }

  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(response.status, 'Unreadable response', { title: 'Unreadable response', detail: `The API answered ${method} ${path} with something that is not JSON.` });
  }
}

export const api = {
  health: () => request('GET', '/v1/health'),
  createUpload: (fileName, contentType, contentLength) => request('POST', '/v1/uploads', { fileName, contentType, contentLength }),
  listImages: (limit, cursor) => {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) {
      query.set('cursor', cursor);
    }

    return request('GET', `/v1/images?${query}`);
  },
  getImage: (id) => request('GET', `/v1/images/${encodeURIComponent(id)}`),
  deleteImage: (id) => request('DELETE', `/v1/images/${encodeURIComponent(id)}`),
  // A body of {} so the request carries Content-Type: application/json, which every state-changing call must.
  reprocess: (id) => request('POST', `/v1/images/${encodeURIComponent(id)}/reprocess`, {}),
  originalUrl: (id) => apiUrl(`/v1/images/${encodeURIComponent(id)}/original`),
  renditionUrl: (id, name) => apiUrl(`/v1/images/${encodeURIComponent(id)}/renditions/${encodeURIComponent(name)}`),
  thumbnailUrl: (id) => apiUrl(`/v1/images/${encodeURIComponent(id)}/thumbnail`),
};

// Headers a page may not set: the browser sends them itself (Content-Length is always the body's exact size, which is
// the size this page declared in POST /v1/uploads).
const browserOwnedHeaders = new Set(['content-length', 'host', 'connection', 'keep-alive', 'transfer-encoding', 'expect']);

/**
 * Sends the file to the presigned URL with exactly the headers the API named, reporting progress (0..1).
 * XMLHttpRequest rather than fetch: only it reports upload progress everywhere.
 */
export function putObject(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method || 'PUT', upload.url);
    for (const [name, value] of Object.entries(upload.headers || {})) {
      if (!browserOwnedHeaders.has(name.toLowerCase())) {
        xhr.setRequestHeader(name, value);
      }
    }

    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && event.total > 0) {
        onProgress(event.loaded / event.total);
      }
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
      } else {
        reject(new ApiError(xhr.status, xhr.statusText, parseProblem(xhr.responseText)));
      }
    });
    xhr.addEventListener('error', () => {
      const target = new URL(upload.url, window.location.href);
      const hint = target.origin !== window.location.origin
        ? ` The upload URL is on ${target.origin} but this page is on ${window.location.origin}; open the page at ${target.origin}.`
        : '';
      reject(new NetworkError(`The upload could not reach ${target.origin}.${hint}`));
    });
    xhr.addEventListener('abort', () => reject(new NetworkError('The upload was cancelled.')));
    xhr.send(file);
  });
}

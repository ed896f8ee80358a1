// Sign-in, on deployments whose GET /v1/config names an OpenID Connect issuer: the authorization-code flow with PKCE
// through oidc-client-ts's UserManager (no token handling of our own). Tokens live in this tab's sessionStorage (never
// a cookie); the access token is renewed with the refresh token before it expires (no iframes); the page's own address
// is the redirect URI, so the callback is handled when the page loads.

// npm oidc-client-ts's browser build, copied beside the page's modules by the .NET build (see
// ImagePipeline.Local.csproj). It is a classic script that defines the global `oidc`, so it is loaded as one, and
// only on deployments that sign in.
const libraryPath = 'js/oidc-client-ts.min.js';

// An access token refused right after the sign-in that issued it is not fixed by signing in again: say so instead of
// sending the browser round in circles.
const freshTokenWindow = 30_000;

/**
 * Reads GET /v1/config: the deployment's sign-in settings, or null when it is anonymous (an API too old to have the
 * route is anonymous too).
 * @param {(path: string) => string} apiUrl
 */
export async function readSignInConfig(apiUrl) {
  const response = await fetch(apiUrl('/v1/config'), { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (response.status === 404) {
    return null;
  }

  if (!response.ok) {
    throw new Error(`GET /v1/config answered ${response.status} ${response.statusText}`.trim());
  }

  const config = await response.json();
  const auth = config?.auth;
  if (!auth) {
    return null;
  }

  if (typeof auth.authority !== 'string' || typeof auth.clientId !== 'string') {
    throw new Error('GET /v1/config names no issuer or client to sign in with.');
  }

  return {
    authority: auth.authority,
    clientId: auth.clientId,
    scopes: Array.isArray(auth.scopes) && auth.scopes.length > 0 ? auth.scopes : ['openid', 'profile', 'offline_access'],
    logoutUrl: typeof auth.logoutUrl === 'string' && auth.logoutUrl ? auth.logoutUrl : null,
  };
}

function loadLibrary() {
  if (globalThis.oidc?.UserManager) {
    return Promise.resolve(globalThis.oidc);
  }

  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = new URL(libraryPath, document.baseURI).href;
    script.addEventListener('load', () => (globalThis.oidc?.UserManager
      ? resolve(globalThis.oidc)
      : reject(new Error(`${libraryPath} did not define the sign-in library.`))));
    script.addEventListener('error', () => reject(new Error(`The sign-in library (${libraryPath}) could not be loaded.`)));
    document.head.append(script);
  });
}

/** What the page shows as the signed-in user: the ID token's name, else another readable claim, else the subject. */
export function displayName(user) {
  const profile = user?.profile ?? {};
  return profile.name || profile.preferred_username || profile.email || profile['cognito:username'] || profile.sub || 'signed in';
}

// Only a path of this page's origin is a place to come back to.
function samePagePath(value) {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : null;
}

/**
 * Sets up sign-in: finishes a sign-in or sign-out the provider has just redirected back from, and loads the user kept
 * in this tab (renewing an expired access token with the refresh token).
 * @param {object} config  what readSignInConfig returned
 * @returns {Promise<object>} the session: `user` (null when signed out), `error` (a sign-in that just failed),
 *   `ended` (a kept session could not be renewed), and signIn(), signOut(), accessToken(), unauthorized(token)
 */
export async function startSignIn(config) {
  if (!globalThis.crypto?.subtle) {
    throw new Error('Sign-in needs a secure page (https, or http on this machine), for PKCE.');
  }

  const oidc = await loadLibrary();
  // The page's own address (without query or fragment) is the redirect URI registered at the provider.
  const pageUrl = new URL('.', window.location.href).href;
  const store = new oidc.WebStorageStateStore({ store: window.sessionStorage });
  const manager = new oidc.UserManager({
    authority: config.authority,
    client_id: config.clientId,
    redirect_uri: pageUrl,
    post_logout_redirect_uri: pageUrl,
    response_type: 'code',
    scope: config.scopes.join(' '),
    userStore: store,
    stateStore: store,
    // Renews shortly before the access token expires; with a refresh token (offline_access) no iframe is involved.
    automaticSilentRenew: true,
    // The name comes from the ID token; the access token is for the API, not for the issuer's userinfo endpoint.
    loadUserInfo: false,
    monitorSession: false,
  });
  manager.events.addSilentRenewError((error) => console.warn(`Renewing the access token failed: ${error.message}`));

  const session = {
    user: null,
    error: null,
    ended: false,
    redirecting: false,
    signIn,
    signOut,
    accessToken,
    unauthorized,
  };

  let freshToken = null;
  let freshAt = 0;
  let renewing = null;

  // ---- back from the provider ----

  const params = new URLSearchParams(window.location.search);
  if (params.has('state') && (params.has('code') || params.has('error'))) {
    let returnTo = null;
    try {
      const user = await manager.signinRedirectCallback(window.location.href);
      returnTo = samePagePath(user.state?.returnTo);
      freshToken = user.access_token;
      freshAt = Date.now();
    } catch (error) {
      session.error = error;
      returnTo = samePagePath(error?.state?.returnTo);
    }

    // The code and state are spent: the address bar goes back to where the user was.
    history.replaceState(null, '', returnTo ?? new URL(pageUrl).pathname);
  } else if (params.has('state')) {
    // Back from the provider's sign-out (the end-session endpoint sends the state back).
    try {
      await manager.signoutRedirectCallback(window.location.href);
    } catch {
      // A stale or foreign state: nothing to finish.
    }

    history.replaceState(null, '', new URL(pageUrl).pathname);
  }

  await manager.clearStaleState().catch(() => {});

  // ---- the user kept in this tab ----

  let user = await manager.getUser();
  if (user?.expired) {
    user = await renew(user);
    session.ended = !user;
  }

  session.user = user;

  async function renew(expired) {
    if (!expired.refresh_token) {
      await manager.removeUser();
      return null;
    }

    renewing ??= manager.signinSilent().finally(() => {
      renewing = null;
    });
    try {
      return await renewing;
    } catch (error) {
      console.warn(`Renewing the access token failed: ${error.message}`);
      await manager.removeUser();
      return null;
    }
  }

  /** Goes to the provider's sign-in page; back here, the page returns to where it is now. */
  async function signIn() {
    session.redirecting = true;
    const returnTo = window.location.pathname + window.location.search + window.location.hash;
    try {
      await manager.signinRedirect({ state: { returnTo } });
    } catch (error) {
      session.redirecting = false;
      throw error;
    }
  }

  /**
   * Forgets the tokens and signs out at the provider: its end-session endpoint (from discovery), or the deployment's
   * logout URL (Cognito's /logout); with neither, the page just forgets the tokens.
   */
  async function signOut() {
    session.redirecting = true;
    if (config.logoutUrl) {
      await manager.removeUser();
      window.location.assign(config.logoutUrl);
      return;
    }

    try {
      await manager.signoutRedirect();
    } catch (error) {
      console.warn(`Signing out at the provider failed: ${error.message}`);
      await manager.removeUser();
      window.location.assign(pageUrl);
    }
  }

  /** The access token for the next API call (renewed first when it has expired), or null when there is none. */
  async function accessToken() {
    let current = await manager.getUser();
    if (current?.expired) {
      current = await renew(current);
    }

    return current && !current.expired ? current.access_token : null;
  }

  /**
   * The API answered 401 to a call made with `token` (null: none was sent): the session is over, so sign in again —
   * unless it was the token the provider has just issued, which another sign-in would not fix.
   * @returns {boolean} whether the page is on its way to the provider
   */
  function unauthorized(token) {
    if (session.redirecting) {
      return true;
    }

    if (token && token === freshToken && Date.now() - freshAt < freshTokenWindow) {
      return false;
    }

    session.redirecting = true;
    manager.removeUser()
      .then(() => signIn())
      .catch((error) => {
        session.redirecting = false;
        console.error(`Could not go to the sign-in page: ${error.message}`);
      });
    return true;
  }

  return session;
}

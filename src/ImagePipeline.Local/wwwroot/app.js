// The ImagePipeline web page: upload, gallery and detail view over the REST API v1. Plain ES modules, no build step.

import { api, apiUrl, loadConfig, NetworkError, useSignIn } from './js/api.js';
import { displayName, readSignInConfig, startSignIn } from './js/auth.js';
import { formatList, formatName, h, imageIdPattern } from './js/dom.js';
import { createDetailView } from './js/detail.js';
import { createGallery } from './js/gallery.js';
import { createUploader } from './js/uploads.js';

const $ = (id) => document.getElementById(id);

const mediaTypes = {
  jpeg: ['image/jpeg', '.jpg', '.jpeg'],
  png: ['image/png', '.png'],
  webp: ['image/webp', '.webp'],
  gif: ['image/gif', '.gif'],
  avif: ['image/avif', '.avif'],
  heic: ['image/heic', 'image/heif', '.heic', '.heif'],
  tiff: ['image/tiff', '.tif', '.tiff'],
};

// ---- the error banner ----

const banner = { kind: null, retry: null };

function showBanner(message, { kind = 'error', retry = null } = {}) {
  banner.kind = kind;
  banner.retry = retry;
  $('banner-text').textContent = message;
  $('banner-retry').hidden = !retry;
  $('banner').hidden = false;
}

function hideBanner(kind) {
  if (kind === undefined || banner.kind === kind) {
    banner.kind = null;
    banner.retry = null;
    $('banner').hidden = true;
  }
}

$('banner-dismiss').addEventListener('click', () => hideBanner());
$('banner-retry').addEventListener('click', () => {
  const retry = banner.retry;
  hideBanner();
  retry?.();
});

function reportConnection(error) {
  if (signIn?.redirecting) {
    // On the way to the provider's sign-in page: the page is about to be left.
    return;
  }

  if (!error) {
    hideBanner('connection');
    return;
  }

  const message = error instanceof NetworkError
    ? error.message
    : `The API answered with an error: ${error.message}`;
  showBanner(message, { kind: 'connection', retry: reconnect });
}

// Retry after a failure: ask for the API's health and the first page again (polling resumes by itself). Until the
// deployment's sign-in settings are known, start over instead.
function reconnect() {
  if (!configured) {
    return begin();
  }

  return Promise.all([checkHealth(), mayUseApi() ? gallery.loadFirst() : null]);
}

// ---- sign-in: only where GET /v1/config names an issuer; an anonymous deployment shows none of it ----

let configured = false; // GET /v1/config has been read
let signIn = null; // the sign-in session (js/auth.js), on a deployment that signs in

/** Whether the page may call the API's private routes: anonymous, or signed in. */
function mayUseApi() {
  return configured && (!signIn || signIn.user !== null);
}

function goSignIn(button) {
  button.disabled = true;
  signIn.signIn().catch((error) => {
    button.disabled = false;
    showBanner(`Could not go to the sign-in page: ${error.message}`, { kind: 'sign-in' });
  });
}

function signInButton(id, classes) {
  const button = h('button', { type: 'button', id, class: classes }, 'Sign in');
  button.addEventListener('click', () => goSignIn(button));
  return button;
}

/** The header's account area (the user and Sign out, or Sign in) and, signed out, the invitation in place of the panels. */
function renderAccount(session) {
  const area = h('div', { class: 'account', id: 'account' });
  document.querySelector('.header-row').append(area);
  if (session.user) {
    const name = displayName(session.user);
    const signOut = h('button', { type: 'button', id: 'sign-out', class: 'button button-small button-quiet' }, 'Sign out');
    signOut.addEventListener('click', () => {
      signOut.disabled = true;
      session.signOut().catch((error) => {
        signOut.disabled = false;
        showBanner(`Could not sign out: ${error.message}`, { kind: 'sign-in' });
      });
    });
    area.append(
      h('p', { class: 'account-user' }, h('span', { class: 'visually-hidden' }, 'Signed in as '), h('span', { id: 'account-name', class: 'account-name', title: name }, name)),
      signOut);
  } else {
    area.append(signInButton('sign-in', 'button button-small'));
    $('upload-panel').hidden = true;
    $('gallery-panel').hidden = true;
    const heading = h('h2', { id: 'signed-out-title', tabindex: '-1' }, 'Sign in to see your images');
    $('banner').after(h('section', { class: 'panel signed-out', id: 'signed-out', 'aria-labelledby': 'signed-out-title' },
      heading,
      h('p', { class: 'muted' }, session.ended
        ? 'Your session has ended. Sign in again to upload photos and see your images.'
        : 'Each user of this site has their own images. Sign in to upload photos and see yours.'),
      signInButton('sign-in-panel', 'button')));
    document.querySelector('.skip-link').href = '#signed-out-title';
    document.querySelector('.skip-link').textContent = 'Skip to sign-in';
  }

  if (session.error) {
    showBanner(`Sign-in did not complete: ${session.error.message}`, { kind: 'sign-in' });
  }
}

// ---- the page's parts ----

const pageSize = (() => {
  const requested = Number.parseInt(new URLSearchParams(window.location.search).get('pageSize') ?? '', 10);
  return Number.isInteger(requested) && requested >= 1 && requested <= 100 ? requested : 20;
})();

const gallery = createGallery({
  list: $('gallery'),
  loadMore: $('load-more'),
  empty: $('gallery-empty'),
  count: $('gallery-count'),
  pageSize,
  onDetail: (detail) => detail && detailView.update(detail),
  onGone: (id) => {
    if (detailView.isOpenFor(id)) {
      detailView.close();
    }
  },
  onConnection: reportConnection,
});

const detailView = createDetailView({
  dialog: $('detail-dialog'),
  confirm: $('confirm-dialog'),
  onLoaded: (detail) => {
    if (gallery.summaryOf(detail.id)) {
      gallery.upsert(detail);
    }
  },
  onReprocessed: (detail) => gallery.follow(detail),
  onDeleted: (id) => {
    gallery.remove(id);
    returnFocusTo = $('gallery-title');
  },
  onClosed: (id) => leaveDetailRoute(id),
});

const uploader = createUploader({
  area: $('uploads-area'),
  list: $('uploads'),
  onCreated: (summary) => gallery.startUpload(summary),
  onProgress: (id, percent) => gallery.uploadProgress(id, percent),
  onUploaded: (id) => gallery.finishUpload(id),
  onAbandoned: (id) => gallery.remove(id),
  onNetworkError: (error) => reportConnection(error),
});

// ---- picking and dropping files ----

const dropzone = $('dropzone');
const fileInput = $('file-input');

// The drop zone is a <button>: Enter and Space open the picker natively.
dropzone.addEventListener('click', () => fileInput.click());
fileInput.addEventListener('change', () => {
  if (fileInput.files.length > 0) {
    uploader.add([...fileInput.files]);
  }

  fileInput.value = '';
});
$('uploads-clear').addEventListener('click', () => uploader.clearFailed());

let dragDepth = 0;
dropzone.addEventListener('dragenter', (event) => {
  event.preventDefault();
  dragDepth++;
  dropzone.classList.add('is-dragging');
});
dropzone.addEventListener('dragover', (event) => {
  event.preventDefault();
  event.dataTransfer.dropEffect = 'copy';
});
dropzone.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) {
    dropzone.classList.remove('is-dragging');
  }
});
dropzone.addEventListener('drop', (event) => {
  event.preventDefault();
  dragDepth = 0;
  dropzone.classList.remove('is-dragging');
  const files = [...(event.dataTransfer?.files ?? [])];
  if (files.length > 0) {
    uploader.add(files);
  }
});
// A file dropped next to the zone must not make the browser navigate away from the page.
for (const type of ['dragover', 'drop']) {
  window.addEventListener(type, (event) => {
    if (!dropzone.contains(event.target)) {
      event.preventDefault();
    }
  });
}

// ---- routing: #/images/{id} opens the detail view ----

let returnFocusTo = null;
let pushedFromPage = false;

function routeId() {
  const match = /^#\/images\/([^/?#]+)$/.exec(window.location.hash);
  return match ? decodeURIComponent(match[1]) : null;
}

function route() {
  if (!mayUseApi()) {
    return;
  }

  const id = routeId();
  if (id) {
    returnFocusTo = gallery.linkOf(id) ?? returnFocusTo;
    // A malformed id is answered "not found" without asking the API, as the API itself would.
    detailView.open(id, { known: imageIdPattern.test(id) });
  } else {
    detailView.close();
  }
}

function leaveDetailRoute(id) {
  if (routeId() === id) {
    if (pushedFromPage) {
      history.back();
    } else {
      history.replaceState(null, '', window.location.pathname + window.location.search);
    }
  }

  pushedFromPage = false;
  const target = returnFocusTo && returnFocusTo.isConnected ? returnFocusTo : gallery.linkOf(id) ?? $('gallery-title');
  returnFocusTo = null;
  target.focus();
}

$('gallery').addEventListener('click', (event) => {
  const link = event.target.closest('.card-link');
  if (link) {
    pushedFromPage = true;
    returnFocusTo = link;
  }
});
window.addEventListener('hashchange', route);

// ---- start ----

async function checkHealth() {
  const status = $('api-status');
  try {
    const health = await api.health();
    status.dataset.state = 'ok';
    // What a user can upload, in their words; the version is for whoever runs the site (the footer, and a tooltip).
    status.textContent = `Accepts ${formatList(health.formats.map(formatName))}`;
    status.title = `Connected · ImagePipeline ${health.version}`;
    $('app-version').textContent = `ImagePipeline ${health.version}`;
    const accept = health.formats.flatMap((format) => mediaTypes[format] ?? []);
    if (accept.length > 0) {
      fileInput.accept = accept.join(',');
    }

    return true;
  } catch (error) {
    status.dataset.state = 'down';
    status.textContent = 'Cannot reach the server';
    status.title = '';
    reportConnection(error);
    return false;
  }
}

// The first contact: the API's health; once it answers, how the deployment signs in (finishing a sign-in the provider
// has just sent the browser back from); then the gallery and the detail route, for whoever may see them.
async function begin() {
  if (!(await checkHealth())) {
    return;
  }

  let config;
  try {
    config = await readSignInConfig(apiUrl);
  } catch (error) {
    reportConnection(error instanceof TypeError ? new NetworkError(`Cannot reach the API at ${apiUrl('') || window.location.origin}.`) : error);
    return;
  }

  if (config) {
    let session;
    try {
      session = await startSignIn(config);
    } catch (error) {
      showBanner(`Sign-in is not available: ${error.message}`, { kind: 'connection', retry: reconnect });
      return;
    }

    signIn = session;
    useSignIn(session);
    renderAccount(session);
  }

  configured = true;
  if (mayUseApi()) {
    await gallery.loadFirst();
    route();
  }
}

async function start() {
  await loadConfig();
  $('openapi-link').href = apiUrl('/v1/openapi.json');
  await reconnect();
}

start();

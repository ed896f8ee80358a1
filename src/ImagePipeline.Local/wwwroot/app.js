// The ImagePipeline web page: upload, gallery and detail view over the REST API v1. Plain ES modules, no build step.

import { api, apiUrl, loadConfig, NetworkError } from './js/api.js';
import { formatName, imageIdPattern } from './js/dom.js';
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
  if (!error) {
    hideBanner('connection');
    return;
  }

  const message = error instanceof NetworkError
    ? error.message
    : `The API answered with an error: ${error.message}`;
  showBanner(message, { kind: 'connection', retry: reconnect });
}

// Retry after a failure: ask for the API's health and the first page again (polling resumes by itself).
function reconnect() {
  return Promise.all([checkHealth(), gallery.loadFirst()]);
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
  onSettled: (detail) => uploader.processed(detail),
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
  onCreated: (summary) => gallery.upsert(summary, { ours: true }),
  onUploaded: () => gallery.schedulePoll(),
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
$('uploads-clear').addEventListener('click', () => uploader.clearFinished());

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
    status.textContent = `API ${health.version} · decodes ${health.formats.join(', ')}`;
    const accept = health.formats.flatMap((format) => mediaTypes[format] ?? []);
    if (accept.length > 0) {
      fileInput.accept = accept.join(',');
    }

    $('dropzone-hint').textContent = `${health.formats.map(formatName).join(', ')} · several files at once`;
  } catch (error) {
    status.dataset.state = 'down';
    status.textContent = 'API unreachable';
    reportConnection(error);
  }
}

async function start() {
  await loadConfig();
  $('openapi-link').href = apiUrl('/v1/openapi.json');
  $('openapi-link').textContent = apiUrl('/v1/openapi.json');
  await reconnect();
  route();
}

start();

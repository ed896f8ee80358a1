// The gallery: newest first, a page at a time ("Load more" follows nextCursor), with live status while images upload
// (from this page) and process.

import { api, ApiError } from './api.js';
import { announce, h } from './dom.js';

const pollInterval = 1500;
// A pending image nobody uploads to stays pending until it expires; upload URLs live 15 minutes, so after that (plus
// some processing time) a pending image not uploaded by this page is not worth asking about again.
const pendingWorthPolling = 20 * 60 * 1000;

/**
 * @param {object} options
 * @param {HTMLUListElement} options.list
 * @param {HTMLButtonElement} options.loadMore
 * @param {HTMLElement} options.empty
 * @param {HTMLElement} options.count
 * @param {number} options.pageSize
 * @param {(detail: object) => void} options.onDetail  every detail fetched while polling (for an open detail view)
 * @param {(id: string) => void} options.onGone        an image no longer exists
 * @param {(error: Error|null) => void} options.onConnection  an error talking to the API, or null once it answers
 */
export function createGallery({ list, loadMore, empty, count, pageSize, onDetail, onGone, onConnection }) {
  const entries = new Map();
  // Images without a card here (not on the pages loaded) that are polled anyway until they settle: one reprocessed
  // from its detail view.
  const followed = new Set();
  let nextCursor = null;
  let loading = false;
  let pollTimer = 0;
  let polling = false;

  loadMore.addEventListener('click', () => load(false));

  /** Loads the first page (again), replacing what is shown. */
  async function loadFirst() {
    return load(true);
  }

  async function load(first) {
    if (loading) {
      return;
    }

    loading = true;
    loadMore.disabled = true;
    list.setAttribute('aria-busy', 'true');
    const before = entries.size;
    try {
      const page = await api.listImages(pageSize, first ? null : nextCursor);
      if (first) {
        for (const entry of entries.values()) {
          if (!entry.ours) {
            entry.element.remove();
            entries.delete(entry.summary.id);
          }
        }
      }

      for (const summary of page.items) {
        upsert(summary, { append: true });
      }

      nextCursor = page.nextCursor;
      onConnection(null);
      if (!first && entries.size > before) {
        // Keyboard users continue where the new items start.
        const firstNew = [...list.children][before]?.querySelector('.card-link');
        firstNew?.focus();
      }
    } catch (error) {
      onConnection(error);
    } finally {
      loading = false;
      loadMore.disabled = false;
      loadMore.hidden = !nextCursor;
      list.setAttribute('aria-busy', 'false');
      refreshCounts();
      schedulePoll();
    }
  }

  /** Adds or updates a card; a new one goes first (a fresh upload) unless `append`. */
  function upsert(summary, { append = false, ours = false } = {}) {
    let entry = entries.get(summary.id);
    if (!entry) {
      entry = renderCard(summary);
      entry.ours = ours;
      entries.set(summary.id, entry);
      if (append) {
        list.append(entry.element);
      } else {
        list.prepend(entry.element);
      }
    } else if (ours) {
      entry.ours = true;
    }

    updateCard(entry, summary);
    refreshCounts();
    schedulePoll();
  }

  /** A file this page is uploading was recorded: its card comes first and shows how much has been sent. */
  function startUpload(summary) {
    upsert(summary, { ours: true });
    const entry = entries.get(summary.id);
    entry.uploaded = 0;
    entry.element.dataset.upload = 'uploading';
    updateCard(entry, entry.summary);
  }

  function uploadProgress(id, percent) {
    const entry = entries.get(id);
    if (entry && entry.uploaded !== null) {
      entry.uploaded = percent;
      updateCard(entry, entry.summary);
    }
  }

  /** The original arrived: from here the card shows the image's status like any other. */
  function finishUpload(id) {
    const entry = entries.get(id);
    if (!entry) {
      return;
    }

    entry.uploaded = null;
    entry.element.dataset.upload = 'uploaded';
    updateCard(entry, entry.summary);
    schedulePoll();
  }

  function remove(id) {
    const entry = entries.get(id);
    if (!entry) {
      return;
    }

    entry.element.remove();
    entries.delete(id);
    refreshCounts();
  }

  function linkOf(id) {
    return entries.get(id)?.link ?? null;
  }

  function summaryOf(id) {
    return entries.get(id)?.summary ?? null;
  }

  function refreshCounts() {
    empty.hidden = entries.size > 0 || loading;
    const working = [...entries.values()].filter((e) => e.summary.status === 'pending' || e.summary.status === 'processing').length;
    const shown = `${entries.size} image${entries.size === 1 ? '' : 's'} shown`;
    count.textContent = entries.size === 0 ? '' : working > 0 ? `${shown} · ${working} in progress` : shown;
  }

  // ---- live updates ----

  function needsPolling(entry) {
    const { status, createdAt } = entry.summary;
    if (status === 'processing') {
      return true;
    }

    return status === 'pending' && (entry.ours || Date.now() - Date.parse(createdAt) < pendingWorthPolling);
  }

  /**
   * An image that is processing again (reprocessed): its card, if it has one, shows it, and it is polled until it is
   * ready or failed like every image in progress, card or not.
   */
  function follow(detail) {
    if (entries.has(detail.id)) {
      upsert(detail);
    } else if (detail.status === 'pending' || detail.status === 'processing') {
      followed.add(detail.id);
      schedulePoll();
    }
  }

  function schedulePoll(delay = pollInterval) {
    if (polling || pollTimer || (followed.size === 0 && ![...entries.values()].some(needsPolling))) {
      return;
    }

    pollTimer = window.setTimeout(poll, delay);
  }

  async function poll() {
    pollTimer = 0;
    polling = true;
    let failure = null;
    try {
      const ids = [...entries.values()].filter(needsPolling).map((e) => e.summary.id);
      ids.push(...[...followed].filter((id) => !entries.has(id)));
      await Promise.all(ids.map(async (id) => {
        try {
          const detail = await api.getImage(id);
          if (detail.status !== 'pending' && detail.status !== 'processing') {
            followed.delete(id);
          }

          const entry = entries.get(id);
          if (entry) {
            const was = entry.summary.status;
            updateCard(entry, detail);
            if (entry.ours && was !== detail.status && (detail.status === 'ready' || detail.status === 'failed')) {
              announceStatus(detail);
            }
          }

          onDetail(detail);
        } catch (error) {
          if (error instanceof ApiError && error.status === 404) {
            followed.delete(id);
            remove(id);
            onGone(id);
          } else {
            failure = error;
          }
        }
      }));
    } finally {
      polling = false;
    }

    onConnection(failure);
    refreshCounts();
    // Back off while the API is unreachable; otherwise keep the normal pace while anything is still in progress.
    schedulePoll(failure ? pollInterval * 3 : pollInterval);
  }

  return { loadFirst, upsert, startUpload, uploadProgress, finishUpload, remove, linkOf, summaryOf, follow };
}

function announceStatus(detail) {
  if (detail.status === 'ready') {
    announce(`${detail.fileName} is ready.`);
  } else if (detail.status === 'failed') {
    announce(`${detail.fileName} failed: ${detail.error?.code ?? 'unknown error'}.`);
  }
}

function renderCard(summary) {
  const link = h('a', { class: 'card-link', href: `#/images/${summary.id}` });
  const name = h('span', { class: 'card-name', title: summary.fileName }, summary.fileName);
  const progress = h('progress', { class: 'card-progress', max: 100, value: 0, hidden: true });
  const badge = h('span', { class: 'badge' });
  const code = h('span', { class: 'error-code', hidden: true });
  const element = h('li', { class: 'card', dataset: { id: summary.id, fileName: summary.fileName } },
    link,
    h('div', { class: 'card-meta' }, name, progress, h('span', { class: 'card-status' }, badge, code)));
  // `uploaded`: the percentage sent while this page uploads the original, else null.
  return { summary, element, link, name, progress, badge, code, ours: false, uploaded: null, thumbRetried: false };
}

/** Updates a card in place (its link keeps focus); an image already shown is never reloaded for a fresh signed URL. */
function updateCard(entry, summary) {
  entry.summary = { ...entry.summary, ...summary };
  const { id, fileName, status, thumbnailUrl } = entry.summary;
  const uploading = entry.uploaded !== null;
  const shown = uploading ? 'uploading' : status;
  entry.element.dataset.status = status;
  entry.element.dataset.fileName = fileName;
  entry.name.textContent = fileName;
  entry.name.title = fileName;
  entry.badge.dataset.status = shown;
  entry.badge.textContent = uploading ? `uploading ${entry.uploaded}%` : status;
  entry.progress.hidden = !uploading;
  if (uploading) {
    entry.progress.value = entry.uploaded;
    entry.progress.textContent = `${entry.uploaded}%`;
    entry.progress.setAttribute('aria-label', `Upload progress of ${fileName}`);
  }

  const errorCode = summary.error?.code ?? entry.summary.error?.code ?? null;
  entry.code.textContent = errorCode ?? '';
  entry.code.title = errorCode ?? '';
  entry.code.hidden = !(status === 'failed' && errorCode);

  const image = entry.link.querySelector('img');
  if (thumbnailUrl && !image) {
    const img = h('img', { class: 'thumb', src: thumbnailUrl, alt: fileName, width: 256, height: 256, decoding: 'async' });
    img.addEventListener('error', () => refreshThumbnail(entry, img));
    entry.link.replaceChildren(img);
  } else if (!thumbnailUrl && !image) {
    const placeholder = h('span', { class: 'thumb thumb-placeholder', dataset: { status }, 'aria-hidden': 'true' });
    entry.link.replaceChildren(placeholder, h('span', { class: 'visually-hidden' }, `${fileName} (${shown})`));
  } else if (image) {
    image.alt = fileName;
  }

  entry.link.href = `#/images/${id}`;
}

// A signed thumbnail URL expires (15 minutes): fetch a fresh one once when the image fails to load.
async function refreshThumbnail(entry, img) {
  if (entry.thumbRetried) {
    return;
  }

  entry.thumbRetried = true;
  try {
    const detail = await api.getImage(entry.summary.id);
    if (detail.thumbnailUrl) {
      entry.summary.thumbnailUrl = detail.thumbnailUrl;
      img.src = detail.thumbnailUrl;
    }
  } catch {
    // Leave the broken image; the status badge still tells the story.
  }
}

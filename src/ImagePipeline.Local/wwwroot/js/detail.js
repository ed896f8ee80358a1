// The detail view: a modal <dialog> reached by #/images/{id}, with the responsive image, the original's facts, the EXIF
// subset, downloads, retry (a failed image) and delete (confirmed in a second dialog).

import { api, ApiError, signedInCalls } from './api.js';
import {
  announce, formatBytes, formatCameraTime, formatDegrees, formatExactBytes, formatList, formatName, formatTimestamp, h,
  mediaTypeName,
} from './dom.js';

// The dialog is at most 60rem wide; on a phone the image spans the viewport less the dialog's padding.
const imageSizes = '(min-width: 64rem) 58rem, calc(100vw - 3rem)';

/**
 * @param {object} options
 * @param {HTMLDialogElement} options.dialog
 * @param {HTMLDialogElement} options.confirm
 * @param {(id: string) => void} options.onDeleted
 * @param {(id: string) => void} options.onClosed
 * @param {(detail: object) => void} options.onLoaded  a fresh detail (the gallery updates its card)
 * @param {(detail: object) => void} options.onReprocessed  the detail of an image queued again (to be followed until it settles)
 */
export function createDetailView({ dialog, confirm, onDeleted, onClosed, onLoaded, onReprocessed }) {
  const title = dialog.querySelector('#detail-title');
  const body = dialog.querySelector('#detail-body');
  const confirmText = confirm.querySelector('#confirm-text');
  let current = null; // { id, detail }
  let generation = 0;

  dialog.querySelector('#detail-close').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    const id = current?.id;
    current = null;
    generation++;
    if (id) {
      onClosed(id);
    }
  });
  // A click on the backdrop (outside the dialog's box) closes it too.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) {
      const box = dialog.getBoundingClientRect();
      const inside = event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
      if (!inside) {
        dialog.close();
      }
    }
  });

  async function open(id, { known = true } = {}) {
    const mine = ++generation;
    current = { id, detail: null };
    title.textContent = 'Image';
    body.replaceChildren(h('p', { class: 'muted', role: 'status' }, 'Loading…'));
    if (!dialog.open) {
      dialog.showModal();
    }

    try {
      if (!known) {
        throw new ApiError(404, 'Not Found', null);
      }

      const detail = await api.getImage(id);
      if (mine !== generation) {
        return;
      }

      render(detail);
      onLoaded(detail);
    } catch (error) {
      if (mine !== generation) {
        return;
      }

      const message = error instanceof ApiError && error.status === 404
        ? 'This image does not exist (any more).'
        : error.message;
      title.textContent = error instanceof ApiError && error.status === 404 ? 'Image not found' : 'Could not load the image';
      body.replaceChildren(h('p', { class: 'error-text', role: 'alert' }, message));
    }
  }

  /** A detail fetched elsewhere (the gallery's polling): re-render when the open image's status moved on. */
  function update(detail) {
    if (current?.id === detail.id && current.detail && current.detail.status !== detail.status) {
      render(detail);
    }
  }

  function isOpenFor(id) {
    return dialog.open && current?.id === id;
  }

  function close() {
    if (dialog.open) {
      dialog.close();
    }
  }

  function render(detail) {
    current = { id: detail.id, detail };
    title.textContent = detail.fileName;
    const deleteButton = h('button', { type: 'button', class: 'button button-danger', id: 'detail-delete' }, 'Delete…');
    const errorArea = h('p', { class: 'error-text', role: 'alert', hidden: true });
    deleteButton.addEventListener('click', () => confirmDelete(detail, deleteButton, errorArea));
    // Only a failed image can be processed again (the API answers 409 for any other).
    const retryButton = detail.status === 'failed'
      ? h('button', { type: 'button', class: 'button', id: 'detail-retry' }, 'Retry')
      : null;
    retryButton?.addEventListener('click', () => retry(detail, retryButton, errorArea));

    body.replaceChildren(
      h('div', { class: 'detail-status' },
        h('span', { class: 'badge', dataset: { status: detail.status } }, detail.status),
        detail.error ? h('span', { class: 'error-code' }, detail.error.code) : null,
        detail.error ? h('span', { class: 'detail-error-message' }, detail.error.message) : null,
        detail.status === 'pending' || detail.status === 'processing' ? h('span', { class: 'muted' }, 'Updating automatically…') : null),
      renderPicture(detail),
      h('div', { class: 'detail-columns' },
        h('section', { class: 'detail-section', 'aria-labelledby': 'detail-original-title' },
          h('h3', { id: 'detail-original-title' }, 'Original'),
          facts([
            ['Format', detail.original ? formatName(detail.original.format) : null, 'format'],
            ['Dimensions', detail.original ? `${detail.original.width} × ${detail.original.height} px` : null, 'dimensions'],
            ['Size', detail.original ? `${formatBytes(detail.original.bytes)} (${formatExactBytes(detail.original.bytes)})` : null, 'bytes'],
            ['Sent as', sentAs(detail.contentType), 'content-type'],
            ['Uploaded', formatTimestamp(detail.createdAt), 'created-at'],
          ], 'Not read yet.')),
        h('section', { class: 'detail-section', 'aria-labelledby': 'detail-camera-title' },
          h('h3', { id: 'detail-camera-title' }, 'Camera'),
          renderExif(detail.metadata))),
      renderDownloads(detail),
      errorArea,
      h('div', { class: 'dialog-actions' },
        retryButton,
        deleteButton,
        h('button', { type: 'button', class: 'button button-quiet', id: 'detail-done' }, 'Close')));
    body.querySelector('#detail-done').addEventListener('click', () => dialog.close());
  }

  /** POST /v1/images/{id}/reprocess: the image shows processing (and is followed until it settles), or the refusal. */
  async function retry(detail, retryButton, errorArea) {
    const mine = generation;
    retryButton.disabled = true;
    retryButton.textContent = 'Retrying…';
    errorArea.hidden = true;
    try {
      const fresh = await api.reprocess(detail.id);
      // Queued again whether or not this view still shows the image: the gallery follows it either way.
      onReprocessed(fresh);
      if (mine !== generation) {
        return;
      }

      render(fresh);
      announce(`${fresh.fileName} is being processed again.`);
      body.querySelector('#detail-done')?.focus();
    } catch (error) {
      if (mine !== generation) {
        return;
      }

      retryButton.disabled = false;
      retryButton.textContent = 'Retry';
      errorArea.textContent = `Could not retry: ${error.message}`;
      errorArea.hidden = false;
      retryButton.focus();
    }
  }

  function confirmDelete(detail, deleteButton, errorArea) {
    confirmText.textContent = `“${detail.fileName}”, its original and every rendition will be deleted. This cannot be undone.`;
    confirm.returnValue = '';
    confirm.addEventListener('close', async () => {
      if (confirm.returnValue !== 'delete') {
        deleteButton.focus();
        return;
      }

      deleteButton.disabled = true;
      deleteButton.textContent = 'Deleting…';
      errorArea.hidden = true;
      try {
        await api.deleteImage(detail.id);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) {
          deleteButton.disabled = false;
          deleteButton.textContent = 'Delete…';
          errorArea.textContent = `Could not delete: ${error.message}`;
          errorArea.hidden = false;
          deleteButton.focus();
          return;
        }
      }

      announce(`${detail.fileName} deleted.`);
      onDeleted(detail.id);
      close();
    }, { once: true });
    confirm.showModal();
  }

  return { open, update, close, isOpenFor };
}

function renderPicture(detail) {
  const renditions = [...(detail.renditions || [])].sort((a, b) => a.width - b.width);
  if (renditions.length === 0) {
    const text = detail.status === 'failed' ? 'No renditions: processing failed.' : 'The renditions appear here once processing is done.';
    return h('div', { class: 'detail-picture detail-picture-empty' }, h('p', { class: 'muted' }, text));
  }

  const largest = renditions[renditions.length - 1];
  const fallback = renditions.find((r) => r.width >= 640) || largest;
  const img = h('img', {
    class: 'detail-image',
    src: fallback.url,
    srcset: renditions.map((r) => `${r.url} ${r.width}w`).join(', '),
    sizes: imageSizes,
    width: largest.width,
    height: largest.height,
    alt: detail.fileName,
    decoding: 'async',
  });
  return h('figure', { class: 'detail-picture' }, img,
    h('figcaption', { class: 'muted' }, renditions.length === 1
      ? `One size: ${largest.width} px wide.`
      : `${renditions.length} sizes: ${formatList(renditions.map((r) => String(r.width)))} px wide.`));
}

function renderExif(metadata) {
  if (!metadata) {
    return h('p', { class: 'muted' }, 'Not read yet.');
  }

  const camera = [metadata.cameraMake, metadata.cameraModel]
    .filter(Boolean)
    .reduce((text, part) => (text && part.toLowerCase().startsWith(text.toLowerCase()) ? part : text ? `${text} ${part}` : part), '');
  const gps = metadata.gps
    ? `${formatDegrees(metadata.gps.latitude, 'N', 'S')}, ${formatDegrees(metadata.gps.longitude, 'E', 'W')}${metadata.gps.altitude == null ? '' : `, ${metadata.gps.altitude} m`}`
    : null;
  return facts([
    ['Make & model', camera || null, 'camera'],
    ['Lens', metadata.lensModel, 'lens'],
    ['Taken', metadata.takenAt ? formatCameraTime(metadata.takenAt) : null, 'taken-at'],
    ['Exposure', metadata.exposureTime ? `${metadata.exposureTime} s` : null, 'exposure'],
    ['Aperture', metadata.fNumber == null ? null : `f/${metadata.fNumber}`, 'f-number'],
    ['ISO', metadata.iso, 'iso'],
    ['Focal length', metadata.focalLength == null ? null : `${metadata.focalLength} mm`, 'focal-length'],
    ['Location', gps, 'gps'],
  ], 'No camera data in this file.');
}

/** What the uploader said the file is: "JPEG (image/jpeg)"; the Format row says what it really is. */
function sentAs(contentType) {
  const name = mediaTypeName(contentType);
  return name && name !== contentType ? `${name} (${contentType})` : contentType;
}

/** A <dl> of the rows that have a value, or `emptyText` when none has. */
function facts(rows, emptyText) {
  const present = rows.filter(([, value]) => value !== null && value !== undefined && value !== '');
  if (present.length === 0) {
    return h('p', { class: 'muted' }, emptyText);
  }

  return h('dl', { class: 'facts' }, present.map(([label, value, field]) => [
    h('dt', {}, label),
    h('dd', { dataset: { field } }, String(value)),
  ]));
}

function renderDownloads(detail) {
  // Signed in, a link to the API's redirect routes would answer 401 (an <a href> carries no bearer token): the links are
  // then the short-lived presigned URLs the detail carries.
  const presigned = signedInCalls();
  const originalHref = presigned ? detail.original?.url : api.originalUrl(detail.id);
  const links = [];
  if (detail.status !== 'pending' && originalHref) {
    links.push(h('li', {}, h('a', { href: originalHref, dataset: { download: 'original' } }, 'Original'),
      detail.original ? ` — ${formatName(detail.original.format)}, ${detail.original.width} × ${detail.original.height}, ${formatBytes(detail.original.bytes)}` : ''));
  }

  const stem = detail.fileName.replace(/\.[^.]+$/, '') || 'image';
  for (const r of [...(detail.renditions || [])].sort((a, b) => a.width - b.width)) {
    links.push(h('li', {}, h('a', { href: presigned ? r.url : api.renditionUrl(detail.id, r.name), download: `${stem}-${r.name}.webp`, dataset: { download: r.name } }, r.name),
      ` — ${r.width} × ${r.height}, ${formatName(r.format)}, ${formatBytes(r.bytes)}`));
  }

  if (detail.thumbnail) {
    links.push(h('li', {}, h('a', { href: presigned ? detail.thumbnail.url : api.thumbnailUrl(detail.id), download: `${stem}-thumbnail.webp`, dataset: { download: 'thumbnail' } }, 'Thumbnail'),
      ` — ${detail.thumbnail.width} × ${detail.thumbnail.height}, ${formatName(detail.thumbnail.format)}, ${formatBytes(detail.thumbnail.bytes)}`));
  }

  if (links.length === 0) {
    return null;
  }

  return h('section', { class: 'detail-section', 'aria-labelledby': 'detail-downloads-title' },
    h('h3', { id: 'detail-downloads-title' }, 'Downloads'),
    h('ul', { class: 'downloads' }, links));
}

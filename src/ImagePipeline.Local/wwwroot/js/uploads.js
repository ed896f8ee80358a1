// Uploads: POST /v1/uploads, then the presigned PUT with a progress bar per file, a few files at a time.

import { api, ApiError, NetworkError, putObject } from './api.js';
import { announce, contentTypeOf, formatBytes, h } from './dom.js';

const parallelUploads = 3;

/**
 * @param {object} options
 * @param {HTMLElement} options.area      the uploads section (shown once there is something in it)
 * @param {HTMLUListElement} options.list the list of uploads
 * @param {(summary: object) => void} options.onCreated   an image was recorded (pending)
 * @param {(id: string) => void} options.onUploaded       its original arrived
 * @param {(id: string) => void} options.onAbandoned      its original never will (the record was deleted)
 * @param {(error: Error) => void} options.onNetworkError the API could not be reached
 */
export function createUploader({ area, list, onCreated, onUploaded, onAbandoned, onNetworkError }) {
  const queue = [];
  const byImage = new Map();
  let active = 0;

  function add(files) {
    for (const file of files) {
      const item = renderItem(file);
      list.prepend(item.element);
      queue.push({ file, item });
    }

    area.hidden = list.childElementCount === 0;
    pump();
  }

  function pump() {
    while (active < parallelUploads && queue.length > 0) {
      const next = queue.shift();
      active++;
      uploadOne(next.file, next.item).finally(() => {
        active--;
        pump();
      });
    }
  }

  async function uploadOne(file, item) {
    item.set('requesting', 'Preparing upload…');
    let created;
    try {
      created = await api.createUpload(file.name, contentTypeOf(file), file.size);
    } catch (error) {
      reject(item, file, error);
      return;
    }

    item.element.dataset.imageId = created.imageId;
    byImage.set(created.imageId, item);
    onCreated({
      id: created.imageId,
      fileName: file.name,
      status: 'pending',
      createdAt: new Date().toISOString(),
      thumbnailUrl: null,
      placeholder: null,
    });

    item.set('uploading', 'Uploading… 0%');
    try {
      await putObject(created.upload, file, (fraction) => {
        const percent = Math.floor(fraction * 100);
        item.progress(percent);
        item.status(`Uploading… ${percent}%`);
      });
    } catch (error) {
      reject(item, file, error);
      // The record would stay pending (until it expires) with nothing behind it: remove it.
      api.deleteImage(created.imageId).catch(() => {}).finally(() => onAbandoned(created.imageId));
      return;
    }

    item.set('uploaded', 'Uploaded — processing');
    item.progress(100);
    announce(`${file.name} uploaded.`);
    onUploaded(created.imageId);
  }

  function reject(item, file, error) {
    if (error instanceof ApiError) {
      item.set('rejected', `Rejected — ${error.heading}`);
      item.detail(error.problem?.detail || error.message);
      announce(`${file.name} was rejected: ${error.problem?.detail || error.message}`);
    } else {
      item.set('error', 'Upload failed');
      item.detail(error.message);
      announce(`${file.name} could not be uploaded: ${error.message}`);
      if (error instanceof NetworkError) {
        onNetworkError(error);
      }
    }
  }

  /** The pipeline finished with an uploaded image: the item says how. */
  function processed(detail) {
    const item = byImage.get(detail.id);
    if (!item || !item.element.isConnected) {
      return;
    }

    if (detail.status === 'ready') {
      item.set('ready', 'Ready');
    } else if (detail.status === 'failed') {
      item.set('failed', `Processing failed — ${detail.error?.code ?? 'unknown error'}`);
      item.detail(detail.error?.message ?? '');
    }
  }

  function clearFinished() {
    for (const element of [...list.children]) {
      if (['ready', 'failed', 'rejected', 'error'].includes(element.dataset.state)) {
        byImage.delete(element.dataset.imageId);
        element.remove();
      }
    }

    area.hidden = list.childElementCount === 0;
  }

  return { add, processed, clearFinished };
}

function renderItem(file) {
  const progress = h('progress', { class: 'upload-progress', max: 100, value: 0, 'aria-label': `Upload progress of ${file.name}` });
  const status = h('span', { class: 'upload-status' }, 'Waiting…');
  const detail = h('p', { class: 'upload-detail', hidden: true });
  const element = h('li', { class: 'upload', dataset: { state: 'waiting', fileName: file.name } },
    h('div', { class: 'upload-row' },
      h('span', { class: 'upload-name', title: file.name }, file.name),
      h('span', { class: 'upload-size' }, formatBytes(file.size))),
    progress,
    status,
    detail);

  return {
    element,
    set(state, text) {
      element.dataset.state = state;
      status.textContent = text;
      progress.hidden = state === 'rejected' || state === 'error' || state === 'failed';
    },
    status(text) {
      status.textContent = text;
    },
    progress(percent) {
      progress.value = percent;
      progress.textContent = `${percent}%`;
    },
    detail(text) {
      detail.textContent = text;
      detail.hidden = !text;
    },
  };
}

// Uploads: POST /v1/uploads, then the presigned PUT, a few files at a time. A file is listed here only until the API
// has recorded it: from then on its gallery card shows the upload's progress and what becomes of the image, so no image
// is ever listed twice. What stays here is what never became an image (refused, or the upload failed).

import { api, ApiError, NetworkError, putObject } from './api.js';
import { announce, contentTypeOf, formatBytes, h } from './dom.js';

const parallelUploads = 3;

/**
 * @param {object} options
 * @param {HTMLElement} options.area      the uploads section (shown once there is something in it)
 * @param {HTMLUListElement} options.list the files not (yet) in the gallery
 * @param {(summary: object) => void} options.onCreated        an image was recorded (pending): its card takes over
 * @param {(id: string, percent: number) => void} options.onProgress  how much of its original has been sent
 * @param {(id: string) => void} options.onUploaded             its original arrived
 * @param {(id: string) => void} options.onAbandoned            its original never will (the record was deleted)
 * @param {(error: Error) => void} options.onNetworkError       the API could not be reached
 */
export function createUploader({ area, list, onCreated, onProgress, onUploaded, onAbandoned, onNetworkError }) {
  const queue = [];
  let active = 0;

  function add(files) {
    for (const file of files) {
      const item = renderItem(file);
      list.prepend(item.element);
      queue.push({ file, item });
    }

    refresh();
    pump();
  }

  function refresh() {
    area.hidden = list.childElementCount === 0;
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

    item.element.remove();
    refresh();
    onCreated({
      id: created.imageId,
      fileName: file.name,
      status: 'pending',
      createdAt: new Date().toISOString(),
      thumbnailUrl: null,
      placeholder: null,
    });

    try {
      await putObject(created.upload, file, (fraction) => onProgress(created.imageId, Math.floor(fraction * 100)));
    } catch (error) {
      // The file is back in this list, saying why; the record would stay pending (until it expires) with nothing
      // behind it, so it goes, and its card with it.
      list.prepend(item.element);
      reject(item, file, error);
      api.deleteImage(created.imageId).catch(() => {}).finally(() => onAbandoned(created.imageId));
      return;
    }

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

    refresh();
  }

  function clearFailed() {
    for (const element of [...list.children]) {
      if (['rejected', 'error'].includes(element.dataset.state)) {
        element.remove();
      }
    }

    refresh();
  }

  return { add, clearFailed };
}

function renderItem(file) {
  const status = h('span', { class: 'upload-status' }, 'Waiting…');
  const detail = h('p', { class: 'upload-detail', hidden: true });
  const element = h('li', { class: 'upload', dataset: { state: 'waiting', fileName: file.name } },
    h('div', { class: 'upload-row' },
      h('span', { class: 'upload-name', title: file.name }, file.name),
      h('span', { class: 'upload-size' }, formatBytes(file.size))),
    status,
    detail);

  return {
    element,
    set(state, text) {
      element.dataset.state = state;
      status.textContent = text;
    },
    detail(text) {
      detail.textContent = text;
      detail.hidden = !text;
    },
  };
}

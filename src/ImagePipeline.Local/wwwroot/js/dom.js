// Small DOM and formatting helpers. Text always goes in through textContent: nothing the API returns is parsed as HTML.

/**
 * Creates an element: h('a', { href: '#', class: 'x', dataset: { id: '1' } }, 'text', child…).
 * Attributes named on* are not supported on purpose (the Content-Security-Policy forbids inline handlers).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }

    if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (name === 'class') {
      element.className = value;
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }

  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }

    if (Array.isArray(child)) {
      append(element, child);
    } else {
      element.append(child instanceof Node ? child : String(child));
    }
  }
}

const announcer = () => document.getElementById('announcer');

/** Says something to screen readers (a polite live region; the last ten messages are kept). */
export function announce(message) {
  const region = announcer();
  if (!region) {
    return;
  }

  region.append(h('p', {}, message));
  while (region.childElementCount > 10) {
    region.firstElementChild.remove();
  }
}

const number = new Intl.NumberFormat(undefined);

/** 211097 → "206.1 KiB" */
export function formatBytes(bytes) {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) {
    return '—';
  }

  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }

  return unit === 0 ? `${number.format(bytes)} bytes` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** 211097 → "211,097 bytes" */
export function formatExactBytes(bytes) {
  return `${number.format(bytes)} bytes`;
}

/** An ISO 8601 UTC timestamp in the reader's local time. */
export function formatTimestamp(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** EXIF local time "2024-05-17T14:30:15" (no zone: the camera's clock) → "2024-05-17 14:30:15". */
export function formatCameraTime(text) {
  return typeof text === 'string' ? text.replace('T', ' ') : text;
}

export function formatDegrees(value, positive, negative) {
  return `${Math.abs(value).toFixed(6)}° ${value >= 0 ? positive : negative}`;
}

const formatNames = { jpeg: 'JPEG', png: 'PNG', webp: 'WebP', gif: 'GIF', avif: 'AVIF', heic: 'HEIC', tiff: 'TIFF' };

/** "jpeg" → "JPEG", "webp" → "WebP" */
export function formatName(format) {
  return typeof format === 'string' ? formatNames[format.toLowerCase()] ?? format.toUpperCase() : '—';
}

/** The media type to declare for a file: the browser's guess, else one from the extension. */
export function contentTypeOf(file) {
  if (file.type) {
    return file.type;
  }

  const extension = (file.name.split('.').pop() || '').toLowerCase();
  const byExtension = {
    jpg: 'image/jpeg', jpeg: 'image/jpeg', jfif: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif',
    avif: 'image/avif', heic: 'image/heic', heif: 'image/heif', tif: 'image/tiff', tiff: 'image/tiff',
  };
  return byExtension[extension] || 'application/octet-stream';
}

/** UUIDv7 as the API issues them (lower case). */
export const imageIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

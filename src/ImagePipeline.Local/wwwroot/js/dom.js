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

// Every date on the page is written one way: the reader's locale, medium date and short time ("17 May 2024, 14:30" in
// en-GB, "May 17, 2024, 2:30 PM" in en-US).
const dateTimeOptions = { dateStyle: 'medium', timeStyle: 'short' };
const localDateTime = new Intl.DateTimeFormat(undefined, dateTimeOptions);
// A camera's clock has no zone: its wall time is shown as it is, never shifted into the reader's zone.
const wallClockDateTime = new Intl.DateTimeFormat(undefined, { ...dateTimeOptions, timeZone: 'UTC' });

/** An ISO 8601 UTC timestamp in the reader's local time. */
export function formatTimestamp(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : localDateTime.format(date);
}

/** EXIF local time "2024-05-17T14:30:15" (no zone: the camera's clock), in the same format as every other date. */
export function formatCameraTime(text) {
  const match = typeof text === 'string' ? /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(text) : null;
  if (!match) {
    return text;
  }

  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return Number.isNaN(date.getTime()) ? text : wallClockDateTime.format(date);
}

export function formatDegrees(value, positive, negative) {
  return `${Math.abs(value).toFixed(6)}° ${value >= 0 ? positive : negative}`;
}

const formatNames = { jpeg: 'JPEG', png: 'PNG', webp: 'WebP', gif: 'GIF', avif: 'AVIF', heic: 'HEIC', tiff: 'TIFF' };

/** ["JPEG", "PNG", "GIF"] → "JPEG, PNG and GIF" (in the page's language). */
export function formatList(items) {
  return new Intl.ListFormat(document.documentElement.lang || 'en', { type: 'conjunction' }).format(items);
}

/** "image/jpeg" → "JPEG", "image/heif" → "HEIF"; anything else as it is. */
export function mediaTypeName(mediaType) {
  const match = typeof mediaType === 'string' ? /^image\/([a-z0-9.+-]+)$/i.exec(mediaType.trim()) : null;
  return match ? formatName(match[1]) : mediaType;
}

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

// Building the page from API data. Data only ever becomes text nodes (textContent): an email or a
// display name chosen by an attacker shows as the characters it is made of, never as markup.
// (eslint.config.js forbids innerHTML and its kin in these files.)

/**
 * An element with properties (className, type, href, disabled, dataset…) and children; strings and numbers become text
 * nodes, null and undefined are skipped.
 */
export function el(tag, properties = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(properties)) {
    if (/html/i.test(name)) throw new Error(`el() sets no markup (${name}): pass text as children`);
    if (name === 'dataset') Object.assign(element.dataset, value);
    else element[name] = value;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replaces the children of `parent`. */
export function fill(parent, ...children) {
  parent.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined));
}

export const byId = (id) => document.getElementById(id);

/** An instant as the operator reads it, in the browser's zone: to the minute, or with `seconds`; a dash when absent. */
export function when(iso, seconds = false) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: seconds ? 'medium' : 'short' });
}

/** To the second, for a timeline where several things happen within a minute. */
export const whenExactly = (iso) => when(iso, true);

/** A value of unknown shape (metadata, a job's payload, an event's details) as one line of text. */
export function asText(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A `<dl>` of label and value pairs. */
export function facts(list, pairs) {
  fill(
    list,
    pairs.flatMap(([label, value]) => [el('dt', {}, label), el('dd', {}, value ?? '—')]),
  );
}

/** A `YYYY-MM-DD` date input's value as the start of that day in UTC, as the API's RFC 3339 filters want it. */
export function dayStart(value) {
  return value ? `${value}T00:00:00Z` : null;
}

// The advisor apps' page script: draws a Voilà page's Jupyter widgets over its own kernel.
//
// Voilà's own page script starts a whole JupyterLab application (plugins, settings, themes,
// extension loading) before it draws a widget; the apps need only the widgets. This script
// connects to the page's kernel, reads every widget's state in one request and draws the
// widgets where Voilà rendered their outputs.

import * as base from '@jupyter-widgets/base';
import { ManagerBase } from '@jupyter-widgets/base-manager';
import * as controls from '@jupyter-widgets/controls';
import { KernelConnection } from '@jupyterlab/services/lib/kernel/default';
import { getKernelModel } from '@jupyterlab/services/lib/kernel/restapi';
import { ServerConnection } from '@jupyterlab/services/lib/serverconnection';
import { Widget } from '@lumino/widgets';

import '@jupyter-widgets/controls/css/widgets.css';
// Lumino's own rules: without them a hidden widget (a tab's panel, the tab bar's add button)
// stays on the page
import '@lumino/widgets/style/widget.css';
import '@lumino/widgets/style/tabbar.css';
import './page.css';
import TEXTS from './texts.json';

const OUTPUT = 'application/vnd.voila.cell-output+json';
const WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json';
// What the server takes in one progress update (bwcases/apps/evidence.py: MAX_BYTES,
// MAX_FILES; tests/test_frontend.py checks they agree). The page never sends more: a websocket
// message over the server's limit would drop the connection and the files with it.
const MAX_FILE_BYTES = 10 * 1024 * 1024;
const MAX_FILES = 5;
const ONCE_MS = 60 * 1000; // the longest a bw-once button waits for the kernel's answer

// The kernel's websocket, made by the page's kernel connection (its settings' WebSocket). It
// counts the bytes the page gives it: what it still holds (bufferedAmount, which drains as the
// network takes them) then tells how far a large message has got. An upload awaiting its
// message is matched with the first one at least as large as its files.
const awaited = new Set();

const byteLength = (data) =>
  typeof data === 'string' ? new TextEncoder().encode(data).length : data.byteLength;

class CountingWebSocket extends WebSocket {
  given = 0;

  send(data) {
    const from = this.given;
    this.given += byteLength(data);
    super.send(data);
    const upload = [...awaited].find((a) => this.given - from >= a.bytes);
    if (upload) {
      awaited.delete(upload);
      upload.span = { socket: this, from, to: this.given };
    }
  }
}

// How much of a message's bytes (a span of what its socket was given) went to the network.
function gone({ socket, from, to }) {
  const sent = socket.given - socket.bufferedAmount;
  return Math.min(1, Math.max(0, (sent - from) / (to - from)));
}

// How far chosen files have got, under their chooser: read by the browser, then sent, until the
// kernel has them (its answer, the files listed, comes with it). A bar and its figure for the
// eye; said aloud politely as each phase starts and at each quarter, not at every step.
class UploadProgress {
  constructor(button) {
    this.box = document.createElement('div');
    this.box.className = 'bw-upload-progress';
    this.bar = document.createElement('progress');
    this.bar.max = 100;
    this.text = document.createElement('span');
    this.text.className = 'bw-upload-progress-text';
    this.text.setAttribute('aria-hidden', 'true'); // the bar's name says it
    this.announcer = document.createElement('div');
    this.announcer.className = 'bw-visually-hidden';
    this.announcer.setAttribute('aria-live', 'polite');
    this.box.append(this.bar, this.text, this.announcer);
    button.after(this.box);
  }

  show(phase, fraction) {
    const n = Math.floor(fraction * 100);
    const said = say(this.box, phase, n);
    if (this.text.textContent === said) {
      return;
    }
    this.bar.value = n;
    this.bar.setAttribute('aria-label', said);
    this.text.textContent = said;
    const step = `${phase} ${Math.floor(n / 25)}`;
    if (step !== this.step) {
      this.step = step;
      // a frame later: a live region is heard only once it is on the page
      requestAnimationFrame(() => {
        this.announcer.textContent = said;
      });
    }
  }

  remove() {
    this.box.remove();
  }
}

// A file's bytes, telling `loaded` how many of them are read as they come.
function readFile(file, loaded) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onprogress = (event) => loaded(event.loaded);
    reader.onload = () => {
      loaded(file.size);
      resolve(reader.result);
    };
    reader.onerror = () => reject(reader.error);
    reader.onabort = reader.onerror;
    reader.readAsArrayBuffer(file);
  });
}

// Evidence files, read only when the server will take them: a file too large, or every file
// when too many are chosen, goes as its name and size alone, and the server says which one
// to leave out (in the page's language, next to the field); nothing is lost in silence.
// While they are read and sent, their progress shows under the chooser. bw-camera: a tablet or
// a phone opens its (back) camera rather than its files; without it, she chooses among them.
class CheckedFileUploadView extends controls.FileUploadView {
  render() {
    super.render();
    const input = document.createElement('input'); // without the stock reader on it
    input.type = 'file';
    input.style.display = 'none';
    input.addEventListener('click', () => {
      input.value = '';
    });
    input.addEventListener('change', () => this.send(Array.from(input.files ?? [])));
    this.fileInput = input;
    this.listenTo(this.model, 'change:_dom_classes', () => this.update());
    this.update();
  }

  update(options) {
    const done = super.update(options);
    if (hasClass(this, 'bw-camera')) {
      this.fileInput.setAttribute('capture', 'environment');
    } else {
      this.fileInput.removeAttribute('capture');
    }
    return done;
  }

  async send(chosen) {
    const fits = (file) => file.size <= MAX_FILE_BYTES && chosen.length <= MAX_FILES;
    const readable = chosen.filter(fits);
    const bytes = readable.reduce((sum, file) => sum + file.size, 0);
    const sending = this.track(bytes); // this choice's progress; a later choice takes it over
    const loaded = new Map();
    const read = (file) => {
      if (!readable.includes(file)) {
        return Promise.resolve(new ArrayBuffer(0));
      }
      return readFile(file, (n) => {
        loaded.set(file, n);
        const all = [...loaded.values()].reduce((sum, k) => sum + k, 0);
        sending.show('reading', all / bytes);
      });
    };
    try {
      const files = await Promise.all(
        chosen.map(async (file) => ({
          content: await read(file),
          name: file.name,
          type: file.type,
          size: file.size,
          last_modified: file.lastModified,
        })),
      );
      this.deliver(sending, { value: files, error: '' });
    } catch (error) {
      console.error('evidence files could not be read', error);
      this.deliver(sending, { value: [], error: String(error) });
    }
  }

  // The progress of one choice of files, shown while it is this view's latest.
  track(bytes) {
    this.sending?.stop();
    this.progress ??= this.el.isConnected ? new UploadProgress(this.el) : null;
    const sending = {
      bytes,
      span: null,
      show: (phase, fraction) => {
        if (this.sending === sending) {
          this.progress?.show(phase, fraction);
        }
      },
      stop: () => {
        awaited.delete(sending);
        cancelAnimationFrame(sending.frame);
      },
      done: () => {
        sending.stop();
        if (this.sending === sending) {
          this.sending = null;
          this.progress?.remove();
          this.progress = null;
        }
      },
    };
    this.sending = sending;
    sending.show(bytes ? 'reading' : 'sending', 0);
    return sending;
  }

  // The files to the kernel, with their progress until it has them (it goes idle after
  // handling their message) or the connection that carried them is lost.
  deliver(sending, state) {
    let changed = false;
    const change = () => {
      changed = true;
    };
    this.model.on('change', change);
    this.model.set(state);
    this.model.off('change', change);
    if (!changed) {
      sending.done(); // the same files again: nothing new to send
      return;
    }
    const callbacks = this.callbacks();
    const status = callbacks.iopub?.status;
    callbacks.iopub = {
      ...callbacks.iopub,
      status: (message) => {
        status?.(message);
        if (message.content.execution_state === 'idle') {
          sending.done();
        }
      },
    };
    if (sending.bytes) {
      awaited.add(sending);
    }
    this.model.save_changes(callbacks);
    const follow = () => {
      const socket = sending.span?.socket;
      const lost = socket && socket.readyState !== WebSocket.OPEN;
      if (lost || document.body.dataset.connection === 'dead') {
        sending.done(); // the page says the connection is lost; the files were not stored
        return;
      }
      // at most 99 %: the last bytes may still be on their way, in the network's buffers
      const sent = sending.span ? gone(sending.span) : sending.bytes ? 0 : 1;
      sending.show('sending', Math.min(sent, 0.99));
      sending.frame = requestAnimationFrame(follow);
    };
    follow();
  }

  remove() {
    this.sending?.done();
    return super.remove();
  }
}

// The page's language among `offered`: the app's (a bw-lang-xx class around `element`, which
// follows her choice in the page), else ?lang= or the browser's languages, as the apps choose.
function languageOf(offered, element = document.body) {
  const marked = element.closest('[class*="bw-lang-"]')?.className.match(/\bbw-lang-([\w-]+)/);
  const asked = new URLSearchParams(window.location.search).get('lang');
  const wanted = [marked?.[1], asked, ...navigator.languages]
    .filter(Boolean)
    .map((tag) => tag.split('-')[0].toLowerCase());
  return wanted.find((code) => code in offered) || 'en';
}

function say(element, key, n) {
  return TEXTS[languageOf(TEXTS, element)][key].replace('{n}', n);
}

const hasClass = (view, name) => view.model.get('_dom_classes').includes(name);
let counters = 0; // the counters' ids

// A date as the programme writes it (dd/mm/yyyy, d/m/yyyy, ddmmyyyy) or as yyyy-mm-dd, in the
// date picker's yyyy-mm-dd; '' for anything else (the kernel tells her what is wrong with it).
function pickerDate(text) {
  const dmy = text.trim().match(/^(\d{1,2})\/(\d{1,2})\/(\d{4})$|^(\d{2})(\d{2})(\d{4})$/);
  const ymd = text.trim().match(/^(\d{4})-(\d{2})-(\d{2})$/);
  const [day, month, year] = dmy
    ? [dmy[1] ?? dmy[4], dmy[2] ?? dmy[5], dmy[3] ?? dmy[6]].map(Number)
    : ymd
      ? [ymd[3], ymd[2], ymd[1]].map(Number)
      : [];
  const date = new Date(Date.UTC(year, month - 1, day));
  const real =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return real ? date.toISOString().slice(0, 10) : '';
}

const CALENDAR_ICON =
  '<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">' +
  '<path fill="currentColor" d="M7 2v2H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2V6a2 ' +
  '2 0 0 0-2-2h-2V2h-2v2H9V2H7zm-2 8h14v10H5V10zm2 2v2h2v-2H7zm4 0v2h2v-2h-2zm4 0v2h2v-2h-2z' +
  'm-8 4v2h2v-2H7zm4 0v2h2v-2h-2z"/></svg>';

// Aids the kernel switches on with classes on a Text or Textarea widget, drawn around its own
// input (moved into a .bw-field; the view's events still reach it):
//   bw-date     a calendar button beside it: the browser's date picker, whatever its locale
//               writes, and the text in the programme's dd/mm/yyyy; typing stays free
//   bw-limit-N  "count / N" under it as she types, in the error colour past N (nothing she
//               typed is cut); said aloud only on reaching 90 % and on passing N
function aided(View) {
  return class extends View {
    render() {
      super.render();
      this.listenTo(this.model, 'change:_dom_classes', () => this.aid());
      this.aid();
    }

    update(options) {
      const done = super.update(options);
      this.refreshAids();
      return done;
    }

    field() {
      if (!this.row) {
        this.row = document.createElement('div');
        this.row.className = 'bw-field-row';
        const field = document.createElement('div');
        field.className = 'bw-field';
        this.textbox.replaceWith(field);
        this.row.append(this.textbox);
        field.append(this.row);
      }
      return this.row.parentElement;
    }

    aid() {
      if (hasClass(this, 'bw-date') && !this.picker) {
        this.addDatePicker();
      }
      const limit = this.model.get('_dom_classes').map((c) => c.match(/^bw-limit-(\d+)$/));
      this.limit = Number(limit.find(Boolean)?.[1]) || 0;
      if (this.limit && !this.counter) {
        this.addCounter();
      }
      this.refreshAids();
    }

    refreshAids() {
      if (this.picker) {
        const label = say(this.el, 'calendar');
        this.picker.button.title = label;
        this.picker.button.setAttribute('aria-label', label);
        this.picker.button.disabled = this.textbox.disabled;
        if (!(this.model.get('placeholder') ?? '').replace('\u200b', '')) {
          this.textbox.placeholder = 'dd/mm/yyyy';
        }
      }
      if (this.counter) {
        this.count(false);
      }
    }

    addDatePicker() {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'bw-date-button';
      button.innerHTML = CALENDAR_ICON;
      // rendered (a picker needs a place to open from) but neither seen nor reached
      const input = document.createElement('input');
      input.type = 'date';
      input.className = 'bw-date-input';
      input.tabIndex = -1;
      input.setAttribute('aria-hidden', 'true');
      button.addEventListener('click', () => {
        input.value = pickerDate(this.textbox.value);
        try {
          input.showPicker();
        } catch {
          input.focus(); // a browser without showPicker opens it on a click
          input.click();
        }
      });
      // the view takes every input's events under it as its text's (Enter as a submit):
      // not the picker's
      input.addEventListener('input', (event) => event.stopPropagation());
      input.addEventListener('keypress', (event) => event.stopPropagation());
      input.addEventListener('change', (event) => {
        event.stopPropagation();
        const [year, month, day] = input.value.split('-');
        if (day) {
          this.textbox.value = `${day}/${month}/${year}`;
          // as if typed: the view sends the value to the kernel (on 'change' even without
          // continuous_update)
          this.textbox.dispatchEvent(new Event('input', { bubbles: true }));
          this.textbox.dispatchEvent(new Event('change', { bubbles: true }));
        }
        if (document.activeElement === input) {
          button.focus();
        }
      });
      const pick = document.createElement('span');
      pick.className = 'bw-date-pick';
      pick.append(button, input);
      this.field();
      this.row.append(pick);
      this.textbox.autocomplete = 'off';
      this.picker = { button };
    }

    addCounter() {
      this.counter = document.createElement('div');
      this.counter.className = 'bw-count';
      this.counter.id = `bw-count-${++counters}`;
      this.announcer = document.createElement('div');
      this.announcer.className = 'bw-visually-hidden';
      this.announcer.setAttribute('aria-live', 'polite');
      this.field().append(this.counter, this.announcer);
      const described = this.textbox.getAttribute('aria-describedby');
      this.textbox.setAttribute('aria-describedby', `${described ?? ''} ${this.counter.id}`.trim());
      this.textbox.addEventListener('input', () => this.count(true));
    }

    count(typed) {
      if (!this.limit) {
        this.counter.textContent = '';
        return;
      }
      const n = Array.from(this.textbox.value).length; // characters, as the kernel counts them
      const level = n > this.limit ? 'over' : n >= 0.9 * this.limit ? 'left' : '';
      // isolated: "123 / 5000" in that order in a right-to-left page too
      this.counter.textContent = `\u2068${n} / ${this.limit}\u2069`;
      this.counter.classList.toggle('bw-over', level === 'over');
      if (typed && level && level !== this.level) {
        const told = level === 'over' ? this.limit : this.limit - n;
        this.announcer.textContent = say(this.el, level, told);
      }
      this.level = level;
    }
  };
}

// A save button sends one click (bw-once): disabled in the page at once, until the kernel next
// changes the button (it marks the save as running, then done) or ONCE_MS have passed.
class OnceButtonView extends controls.ButtonView {
  _handle_click(event) {
    super._handle_click(event);
    if (hasClass(this, 'bw-once')) {
      this.el.disabled = true;
      clearTimeout(this.held);
      this.held = setTimeout(() => this.update(), ONCE_MS);
    }
  }

  update(options) {
    clearTimeout(this.held); // the kernel's state rules the button again
    return super.update(options);
  }
}

const MODULES = {
  '@jupyter-widgets/base': base,
  '@jupyter-widgets/controls': {
    ...controls,
    FileUploadView: CheckedFileUploadView,
    TextView: aided(controls.TextView),
    TextareaView: aided(controls.TextareaView),
    ButtonView: OnceButtonView,
  },
};

// What assistive technology needs of the page, kept true as the kernel redraws it:
//   <html lang dir> and the title   the app's language (its bw-lang-xx class) and its heading;
//                                   the address's ?lang= follows her choice
//   .bw-form-field                  a field (bwcases.apps.common.Field): its control `required`
//                                   (bw-required) and, with an error shown, aria-invalid and
//                                   aria-describedby naming the error's text
//   .bw-scroll                      a wide table's sideways scroll: reached by the keyboard,
//                                   a region named by the heading before it
let described = 0; // the ids given to errors and headings
const RTL = new Set(['ar', 'fa', 'he', 'ur']);

function idOf(element, prefix) {
  if (!element.id) {
    element.id = `${prefix}-${++described}`;
  }
  return element.id;
}

function describedBy(control, add, remove) {
  const ids = (control.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
  const kept = ids.filter((id) => id !== remove && id !== add);
  const all = add ? [...kept, add] : kept;
  if (all.length) {
    control.setAttribute('aria-describedby', all.join(' '));
  } else {
    control.removeAttribute('aria-describedby');
  }
}

// Her choice in the address too: a reload opens the page in it, where the ?lang= of the link
// she came by would win over the choice the server keeps for her. An address without ?lang=
// is left so (the server's choice is hers); no new entry in the history, no reload.
function keepLanguageInAddress(lang) {
  const url = new URL(window.location.href);
  const asked = url.searchParams.get('lang');
  if (asked !== null && asked !== lang) {
    url.searchParams.set('lang', lang);
    window.history.replaceState(window.history.state, '', url);
  }
}

function markLanguageAndTitle() {
  const app = document.querySelector('.bw-app');
  const marked = app?.className.match(/\bbw-lang-([\w-]+)/)?.[1];
  const lang = marked ?? 'en';
  if (marked) {
    keepLanguageInAddress(marked);
  }
  const root = document.documentElement;
  if (root.lang !== lang) {
    root.lang = lang;
  }
  const dir = app?.classList.contains('bw-rtl') || RTL.has(lang.split('-')[0]) ? 'rtl' : 'ltr';
  if (root.dir !== dir) {
    root.dir = dir;
  }
  const heading = app?.querySelector('h1') ?? document.querySelector('h1');
  if (heading) {
    const title = Array.from(heading.childNodes)
      .filter((node) => !node.classList?.contains('anchor-link'))
      .map((node) => node.textContent)
      .join('')
      .trim();
    if (title && document.title !== title) {
      document.title = title;
    }
  }
}

function markFields() {
  for (const field of document.querySelectorAll('.bw-form-field')) {
    const control = field.querySelector(
      'input:not([type=hidden]):not(.bw-date-input), textarea, select',
    );
    if (!control) {
      continue;
    }
    if (field.querySelector('.bw-required') && !control.required) {
      control.required = true;
    }
    const error = field.querySelector('.bw-field-error');
    const before = control.dataset.bwError;
    if (error && error.textContent.trim()) {
      const id = idOf(error, 'bw-error');
      control.setAttribute('aria-invalid', 'true');
      describedBy(control, id, before);
      control.dataset.bwError = id;
    } else if (before || control.hasAttribute('aria-invalid')) {
      control.removeAttribute('aria-invalid');
      describedBy(control, '', before);
      delete control.dataset.bwError;
    }
  }
}

function markScrollRegions() {
  for (const region of document.querySelectorAll('.bw-scroll:not([tabindex])')) {
    region.tabIndex = 0;
    region.setAttribute('role', 'region');
    // named by the heading just before it in its piece of HTML, else by what it is
    let before = region.previousElementSibling;
    while (before && !/^H[1-6]$/.test(before.tagName)) {
      before = before.previousElementSibling;
    }
    if (before) {
      region.setAttribute('aria-labelledby', idOf(before, 'bw-heading'));
    } else {
      region.setAttribute('aria-label', say(region, 'table'));
    }
  }
}

function keepPageAccessible() {
  let queued = false;
  const mark = () => {
    queued = false;
    markLanguageAndTitle();
    markFields();
    markScrollRegions();
  };
  // the page's own changes (ids, aria-*) are not watched: no loop
  new MutationObserver(() => {
    if (!queued) {
      queued = true;
      requestAnimationFrame(mark);
    }
  }).observe(document.body, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
    attributeFilter: ['class'],
  });
  mark();
}

// Widgets of the two modules the apps use, over one kernel's comms.
class PageWidgets extends ManagerBase {
  constructor(kernel) {
    super();
    this.kernel = kernel;
    kernel.registerCommTarget(this.comm_target_name, async (comm, message) => {
      await this.handle_comm_open(new base.shims.services.Comm(comm), message);
    });
  }

  async loadClass(className, moduleName, moduleVersion) {
    const module = MODULES[moduleName];
    if (!module || !module[className]) {
      throw new Error(`no widget ${className} in ${moduleName} ${moduleVersion}`);
    }
    return module[className];
  }

  async _create_comm(targetName, modelId, data, metadata, buffers) {
    const comm = this.kernel.createComm(targetName, modelId);
    if (data || metadata) {
      comm.open(data, metadata, buffers);
    }
    return new base.shims.services.Comm(comm);
  }

  async _get_comm_info() {
    const reply = await this.kernel.requestCommInfo({ target_name: this.comm_target_name });
    return reply.content.status === 'ok' ? reply.content.comms : {};
  }

  async load() {
    await this._loadFromKernel();
  }
}

function pageConfig() {
  const element = document.getElementById('jupyter-config-data');
  return element ? JSON.parse(element.textContent) : {};
}

function xsrfToken() {
  const match = document.cookie.match('\\b_xsrf=([^;]*)\\b');
  return match ? decodeURIComponent(match[1]) : '';
}

// What a cell printed, as text (widgets are drawn apart; nothing is read as HTML).
function showText(element, output) {
  let text = '';
  if (output.output_type === 'stream') {
    text = output.text;
  } else if (output.output_type === 'error') {
    text = `${output.ename}: ${output.evalue}`;
  } else if (output.data && output.data['text/plain']) {
    text = output.data['text/plain'];
  }
  if (text) {
    const pre = document.createElement('pre');
    pre.className = 'bw-output-text';
    pre.textContent = Array.isArray(text) ? text.join('') : text;
    element.replaceWith(pre);
  } else {
    element.remove();
  }
}

async function showWidget(manager, element, modelId) {
  const model = await manager.get_model(modelId);
  const view = await manager.create_view(model);
  const host = document.createElement('div');
  host.className = 'bw-widget';
  element.replaceWith(host);
  Widget.attach(view.luminoWidget, host);
}

// Work typed and not yet saved (the kernel marks a widget bw-dirty) is not lost by leaving:
// the browser asks first, for a reload, a closed tab, a link or the sign-out form alike (each
// is a navigation). Only a leave she agrees to fires pagehide, which stops the kernel.
function askBeforeLeavingUnsaved() {
  window.addEventListener('beforeunload', (event) => {
    if (document.querySelector('.bw-dirty')) {
      event.preventDefault();
      event.returnValue = '';
    }
  });
}

function stopKernelOnLeave(config) {
  // The page's kernel serves this page only: closing the page stops it (Voilà's address)
  const url = `${config.baseUrl}voila/api/shutdown/${config.kernelId}`;
  window.addEventListener('pagehide', () => {
    fetch(url, {
      method: 'POST',
      keepalive: true,
      credentials: 'same-origin',
      headers: { 'X-XSRFToken': xsrfToken() },
    }).catch(() => {});
  });
}

// The apps show their own notice (in the page's language) while the connection is down; see
// bwcases.apps.common. Before the widgets are drawn there is none: trouble() says it.
function followConnection(kernel, drawn) {
  const show = (status) => {
    if (document.body.dataset.connection === 'dead') {
      return; // for good
    }
    document.body.dataset.connection = status;
    if (!drawn() && (status === 'disconnected' || status === 'dead')) {
      trouble();
    }
  };
  kernel.connectionStatusChanged.connect(async (_, status) => {
    show(status);
    if (status === 'connecting' && drawn()) {
      // a kernel the server no longer has (restarted, stopped) never answers again: say so
      // now rather than after a minute of retries; a network error keeps the retries going
      const model = await getKernelModel(kernel.id, kernel.serverSettings).catch(() => null);
      if (model === undefined && !kernel.isDisposed) {
        show('dead');
        kernel.dispose();
      }
    }
  });
  // a kernel stopped or restarted has lost the page's widgets: nothing typed can be saved
  kernel.statusChanged.connect((_, status) => {
    if (status === 'dead' || status === 'restarting' || status === 'autorestarting') {
      show('dead');
    }
  });
  kernel.iopubMessage.connect((_, message) => {
    if (message.header.msg_type === 'shutdown_reply') {
      show('dead');
    }
  });
}

// Only when the widgets never came. The page learns its language from them, so here it takes
// ?lang= or the browser's languages, as the apps do, among the texts the server put in the page.
function trouble() {
  const element = document.getElementById('bw-trouble');
  const texts = element ? JSON.parse(element.textContent) : {};
  const lang = languageOf(texts);
  const notice = document.getElementById('bw-loading');
  if (notice) {
    notice.textContent = texts[lang] || 'This page could not be loaded. Try again in a moment.';
    notice.classList.add('bw-trouble');
  }
}

async function start() {
  const config = pageConfig();
  if (!config.kernelId) {
    throw new Error('the page names no kernel');
  }
  const serverSettings = ServerConnection.makeSettings({
    baseUrl: config.baseUrl,
    WebSocket: CountingWebSocket,
  });
  const kernel = new KernelConnection({
    model: { id: config.kernelId, name: 'python3' },
    serverSettings,
    handleComms: true,
  });
  let drawn = false;
  followConnection(kernel, () => drawn);
  stopKernelOnLeave(config);
  askBeforeLeavingUnsaved();
  const manager = new PageWidgets(kernel);
  await manager.load();
  const shown = [];
  for (const element of document.querySelectorAll(`script[type="${OUTPUT}"]`)) {
    const output = JSON.parse(element.textContent);
    const view = output.data && output.data[WIDGET_VIEW];
    if (view) {
      shown.push(showWidget(manager, element, view.model_id));
    } else {
      showText(element, output);
    }
  }
  await Promise.all(shown);
  keepPageAccessible();
  drawn = true;
  document.getElementById('bw-loading')?.remove();
}

start().catch((error) => {
  console.error(error);
  trouble();
});

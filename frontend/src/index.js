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
import './page.css';

const OUTPUT = 'application/vnd.voila.cell-output+json';
const WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json';
// What the server takes in one progress update (bwcases/apps/evidence.py: MAX_BYTES,
// MAX_FILES; tests/test_frontend.py checks they agree). The page never sends more: a websocket
// message over the server's limit would drop the connection and the files with it.
const MAX_FILE_BYTES = 10 * 1024 * 1024;
const MAX_FILES = 5;

// Evidence files, read only when the server will take them: a file too large, or every file
// when too many are chosen, goes as its name and size alone, and the server says which one
// to leave out (in the page's language, next to the field); nothing is lost in silence.
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
    this.update();
  }

  async send(chosen) {
    const read = (file) =>
      file.size > MAX_FILE_BYTES || chosen.length > MAX_FILES
        ? Promise.resolve(new ArrayBuffer(0))
        : file.arrayBuffer();
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
      this.model.set({ value: files, error: '' });
    } catch (error) {
      console.error('evidence files could not be read', error);
      this.model.set({ value: [], error: String(error) });
    }
    this.touch();
  }
}

const MODULES = {
  '@jupyter-widgets/base': base,
  '@jupyter-widgets/controls': { ...controls, FileUploadView: CheckedFileUploadView },
};

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
  const asked = new URLSearchParams(window.location.search).get('lang');
  const wanted = [asked, ...navigator.languages]
    .filter(Boolean)
    .map((tag) => tag.split('-')[0].toLowerCase());
  const lang = wanted.find((code) => code in texts) || 'en';
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
  const serverSettings = ServerConnection.makeSettings({ baseUrl: config.baseUrl });
  const kernel = new KernelConnection({
    model: { id: config.kernelId, name: 'python3' },
    serverSettings,
    handleComms: true,
  });
  let drawn = false;
  followConnection(kernel, () => drawn);
  stopKernelOnLeave(config);
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
  drawn = true;
  document.getElementById('bw-loading')?.remove();
}

start().catch((error) => {
  console.error(error);
  trouble();
});

// A real tus client (tus-js-client, from .deps/) driven by test_tus.py.
//
// Usage: node client.mjs '<json options>'; prints one JSON line per event
// on stdout and a final {"event": "success" | "error", ...} line.
//   endpoint, file, token       what to upload where, as whom
//   metadata                    Upload-Metadata pairs (tus-js-client encodes them)
//   chunkSize                   bytes per PATCH
//   uploadUrl                   resume this upload instead of creating one
//   dropAtOffset                the PATCH starting at this offset sends half its
//                               chunk, then its connection is destroyed (once)
//   pauseAtOffset, pauseMs      the PATCH starting at this offset asks a test
//                               build to hold the worker after its write (once),
//                               so that the test can kill it there
//   retryDelays                 tus-js-client's (null: never retry)
//   stopAfterOffset             end the run (event "stopped") once the upload
//                               reached this offset, without finishing it
// The self-signed CA comes from NODE_EXTRA_CA_CERTS.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';

const require = createRequire(process.env.COFFER_NODE_MODULES + '/');
const tus = require('tus-js-client');

const opt = JSON.parse(process.argv[2]);
const data = readFileSync(opt.file);
const counts = {};
let dropped = false, paused = false;

function emit(o) { process.stdout.write(JSON.stringify(o) + '\n'); }

// The default Node stack, except that one PATCH loses its connection
// mid-body: half the chunk is sent, then the socket is destroyed.
class DroppingStack {
  constructor() { this.inner = new tus.DefaultHttpStack({}); }
  getName() { return 'DroppingStack'; }
  createRequest(method, url) {
    const req = this.inner.createRequest(method, url);
    const send = req.send.bind(req);
    req.send = (body) => {
      counts[method] = (counts[method] || 0) + 1;
      const offset = Number(req.getHeader('Upload-Offset'));
      if (method !== 'PATCH' || dropped || opt.dropAtOffset === undefined ||
          offset !== opt.dropAtOffset || !body)
        return send(body);
      dropped = true;
      const half = body.subarray(0, Math.floor(body.length / 2));
      const stream = new Readable({ read() {} });
      stream.push(half);
      const p = send(stream);
      // Once half the chunk is on the wire, cut the connection.
      setTimeout(() => {
        emit({ event: 'dropped', offset, sent: half.length });
        req.getUnderlyingObject().destroy(new Error('connection dropped by the test'));
      }, 300);
      return p;
    };
    return req;
  }
}

const upload = new tus.Upload(data, {
  endpoint: opt.endpoint,
  uploadUrl: opt.uploadUrl || null,
  chunkSize: opt.chunkSize,
  metadata: opt.metadata || {},
  headers: { Authorization: `Bearer ${opt.token}` },
  retryDelays: 'retryDelays' in opt ? opt.retryDelays : [0, 200, 500, 1000, 2000, 3000],
  storeFingerprintForResuming: false,
  httpStack: new DroppingStack(),
  onBeforeRequest(req) {
    const off = Number(req.getHeader('Upload-Offset'));
    if (req.getMethod() === 'PATCH' && !paused && opt.pauseAtOffset !== undefined &&
        off === opt.pauseAtOffset) {
      paused = true;
      req.setHeader('X-Coffer-Test-Pause', `tus-after-write:${opt.pauseMs}`);
      emit({ event: 'pausing', offset: off });
    }
  },
  onUploadUrlAvailable() { emit({ event: 'url', url: upload.url }); },
  onChunkComplete(size, accepted) {
    if (opt.stopAfterOffset !== undefined && accepted >= opt.stopAfterOffset) {
      upload.abort().then(() => {
        emit({ event: 'stopped', offset: accepted, url: upload.url, counts });
        process.exit(0);
      });
    }
  },
  onSuccess(payload) {
    const res = payload && payload.lastResponse;
    emit({
      event: 'success', url: upload.url, counts,
      status: res ? res.getStatus() : null,
      body: res ? res.getBody() : null,
      fileId: res ? res.getHeader('Coffer-File-Id') : null,
    });
  },
  onError(err) {
    const res = err.originalResponse;
    emit({
      event: 'error', message: String(err.message || err), counts,
      status: res ? res.getStatus() : null,
      body: res ? res.getBody() : null,
    });
    process.exitCode = 1;
  },
});
upload.start();

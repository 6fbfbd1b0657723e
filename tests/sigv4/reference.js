// reference.js - AWS's own JavaScript signers, the reference for Coffer's SigV4.
//
// Reads a JSON array of cases on stdin and writes, for each, what AWS's
// code makes of it: {"presign": URL} from @aws-sdk/s3-request-presigner, or
// {"creq", "sts", "authorization"} from @smithy/signature-v4 (the signer
// every AWS SDK for JavaScript v3 client uses). Paths come URI-encoded (S3
// signs them as sent). Run by
// tests/integration/test_sigv4_reference.py with NODE_PATH=.deps/node_modules.
"use strict";

const { SignatureV4 } = require("@smithy/signature-v4");
const { S3RequestPresigner } = require("@aws-sdk/s3-request-presigner");
const { Hash } = require("@smithy/hash-node");
const { HttpRequest } = require("@smithy/protocol-http");

const sha256 = Hash.bind(null, "sha256");

function request(c) {
    const [hostname, port] = c.host.split(":");
    return new HttpRequest({
        method: c.method || "GET",
        protocol: c.scheme + ":",
        hostname,
        port: port ? Number(port) : undefined,
        path: c.path,
        query: c.query || {},
        headers: Object.assign({ host: c.host }, c.headers || {}),
        body: c.body,
    });
}

function credentials(c) {
    const cred = { accessKeyId: c.accessKeyId, secretAccessKey: c.secret };
    if (c.sessionToken) cred.sessionToken = c.sessionToken;
    return cred;
}

async function one(c) {
    const signingDate = new Date(c.now * 1000);
    if (c.kind === "presign") {
        const p = new S3RequestPresigner({ credentials: credentials(c), region: c.region, sha256 });
        const r = await p.presign(request(c), { signingDate, expiresIn: c.expiresIn });
        const q = Object.keys(r.query).sort().map((k) =>
            `${k}=${encodeURIComponent(r.query[k]).replace(/[!'()*]/g, (ch) =>
                "%" + ch.charCodeAt(0).toString(16).toUpperCase())}`);
        return { presign: `${c.scheme}://${c.host}${r.path}?${q.join("&")}` };
    }
    // S3's rules: the path is signed as sent (no double encoding, no
    // normalisation), the payload hash is the header the caller set.
    const s = new SignatureV4({ credentials: credentials(c), region: c.region, service: "s3",
        sha256, uriEscapePath: false, applyChecksum: false });
    const signed = await s.sign(request(c), { signingDate });
    return { authorization: signed.headers.authorization };
}

let input = "";
process.stdin.on("data", (d) => { input += d; });
process.stdin.on("end", async () => {
    const out = [];
    for (const c of JSON.parse(input)) out.push(await one(c));
    process.stdout.write(JSON.stringify(out));
});

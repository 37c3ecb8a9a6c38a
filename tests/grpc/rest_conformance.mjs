// rest_conformance.mjs -- keeld's REST door (grpc-gateway's URL map) as a
// client built only from the official IDL sees it: the flyteidl protos
// loaded with protobufjs (binary bodies, google.rpc.Status, the
// google.api.http bindings, the JSON field names) and Node's own http and
// net modules.  Prints TAP.
//
//   node rest_conformance.mjs [options] HOST:PORT
//     -I DIR, --proto-path DIR   add an import directory (repeatable; one
//                                must hold flyteidl/service/*.proto)
//     --first N                  number the first test N (default 1)
//     --no-plan                  print no "1..N" line (the caller prints it)
//     --bindings FILE            the build's gen/rest_bindings.c (default
//                                $KEEL_BUILDDIR/gen/rest_bindings.c)
//     --max-body BYTES           keeld's [http] max_body_size (default 4 MiB)
//     --body-timeout MS          keeld's [http] body_timeout (default 30000;
//                                the slow-client 408 check needs <= 5000)
//     --cors-origin ORIGIN       the one origin in [http] allowed_origins,
//                                with allow_cors = true (else CORS is
//                                expected off)
//
// HOST:PORT is the REST door (--http-listen).  The server may already hold
// other projects (the gRPC suite's); every project made here is named
// rest-*.  The execution checks expect a blob store and [executions]
// outbox_workers = 0, cluster = c-a (grpc_conformance.sh).  Exit status 0
// only when every check passed.

import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import net from 'node:net';
import protobuf from 'protobufjs';

const CALL_TIMEOUT_MS = 15000;
const TOTAL_TIMEOUT_MS = 240000;

// --- command line ---------------------------------------------------
let address = null;
let first = 1;
let plan = true;
let bindingsFile = null;
let maxBody = 4 * 1024 * 1024;
let bodyTimeout = 30000;
let corsOrigin = null;
const protoPath = [];
{
	const argv = process.argv.slice(2);
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '-I' || a === '--proto-path') protoPath.push(argv[++i]);
		else if (a.startsWith('-I') && a.length > 2) protoPath.push(a.slice(2));
		else if (a === '--first') first = Number(argv[++i]);
		else if (a === '--no-plan') plan = false;
		else if (a === '--bindings') bindingsFile = argv[++i];
		else if (a === '--max-body') maxBody = Number(argv[++i]);
		else if (a === '--body-timeout') bodyTimeout = Number(argv[++i]);
		else if (a === '--cors-origin') corsOrigin = argv[++i];
		else if (!a.startsWith('-') && address === null) address = a;
		else {
			console.error(`rest_conformance.mjs: unknown argument '${a}'`);
			process.exit(64);
		}
	}
	const m = /^(.+):(\d+)$/.exec(address ?? '');
	if (!m || !Number.isInteger(first) || first < 1 || !(maxBody > 0) || !(bodyTimeout > 0)) {
		console.error('usage: node rest_conformance.mjs [-I DIR]... [--first N] [--no-plan] '
			+ '[--bindings FILE] [--max-body BYTES] [--body-timeout MS] [--cors-origin ORIGIN] HOST:PORT');
		process.exit(64);
	}
	if (protoPath.length === 0) {
		const b = process.env.KEEL_BUILDDIR, s = process.env.KEEL_SRCDIR;
		if (b) protoPath.push(join(b, 'flyteidl-1.16.5', 'protos'));
		if (s) protoPath.push(join(s, 'proto', 'stub'));
		protoPath.push('/usr/share/gocode/src/github.com/gogo/googleapis', '/usr/include');
	}
	if (bindingsFile === null && process.env.KEEL_BUILDDIR)
		bindingsFile = join(process.env.KEEL_BUILDDIR, 'gen', 'rest_bindings.c');
}
const [, HOST, PORT] = /^(.+):(\d+)$/.exec(address);
const host = HOST.replace(/^\[(.*)\]$/, '$1');
const port = Number(PORT);

// --- TAP ------------------------------------------------------------
let n = first - 1;
let failures = 0;
function diag(...lines) {
	for (const l of lines.join('\n').split('\n')) console.log(`#   ${l}`);
}
function ok(cond, desc, ...why) {
	n++;
	desc = desc.replace(/#/g, '\\#').replace(/\n/g, ' ');
	console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${desc}`);
	if (!cond) {
		failures++;
		if (why.length) diag(...why.map((w) => (typeof w === 'function' ? w() : String(w))));
	}
	return !!cond;
}
function skip(desc, why) {
	n++;
	console.log(`ok ${n} - ${desc.replace(/#/g, '\\#')} # SKIP ${why}`);
}
function finish() {
	if (plan) console.log(`1..${n}`);
	console.log(`# rest_conformance.mjs: ${n - first + 1} checks, ${failures} failed`);
	process.exit(failures === 0 ? 0 : 1);
}
setTimeout(() => {
	ok(false, `the whole run finished within ${TOTAL_TIMEOUT_MS / 1000} s`);
	finish();
}, TOTAL_TIMEOUT_MS).unref();

const short = (s, max = 300) => {
	s = String(s);
	return s.length > max ? `${s.slice(0, max)}... (${s.length} chars)` : s;
};
const js = (v) => JSON.stringify(v);

// --- the IDL ----------------------------------------------------------
const SERVICE_FILES = [
	'flyteidl/service/admin.proto', 'flyteidl/service/auth.proto',
	'flyteidl/service/identity.proto', 'flyteidl/service/dataproxy.proto',
	'flyteidl/service/signal.proto',
];
const root = new protobuf.Root();
root.resolvePath = (origin, target) => {
	for (const d of protoPath) {
		const p = join(d, target);
		if (existsSync(p)) return p;
	}
	return target; // protobufjs's bundled google/protobuf/*.proto
};
try {
	root.loadSync([...SERVICE_FILES, 'google/rpc/status.proto'], { keepCase: true });
	root.resolveAll();
} catch (e) {
	ok(false, 'protobufjs loads flyteidl/service/*.proto and google/rpc/status.proto',
		`proto path: ${protoPath.join(' ')}`, e.stack ?? e);
	finish();
}
ok(true, 'protobufjs loads flyteidl/service/*.proto and google/rpc/status.proto');

const T = (name) => root.lookupType(name);
const Status = T('google.rpc.Status');
const TO_OBJECT = { enums: String, longs: String, bytes: String, defaults: true, arrays: true, objects: true };

// Every method of every service, with its google.api.http bindings.
const methods = {}; // "Service/Method" and bare "Method" (AdminService wins) -> info
const idlBindings = []; // {verb, path, body, rpc, method}
for (const svc of collectServices(root)) {
	for (const m of Object.values(svc.methods)) {
		const info = { name: m.name, service: svc.name, rpc: `/${svc.fullName.slice(1)}/${m.name}`,
			req: m.resolvedRequestType, res: m.resolvedResponseType, bindings: [] };
		methods[`${svc.name}/${m.name}`] = info;
		if (!methods[m.name] || svc.name === 'AdminService') methods[m.name] = info;
		const rule = (m.parsedOptions ?? []).find((o) => o['(google.api.http)'])?.['(google.api.http)'];
		if (!rule) continue;
		const rules = [rule, ...[rule.additional_bindings ?? []].flat()];
		for (const r of rules) {
			for (const verb of ['get', 'put', 'post', 'delete', 'patch']) {
				if (typeof r[verb] !== 'string') continue;
				const b = { verb: verb.toUpperCase(), path: r[verb], body: r.body ?? '', rpc: info.rpc, method: info };
				info.bindings.push(b);
				idlBindings.push(b);
			}
		}
	}
}
function collectServices(ns) {
	const out = [];
	for (const x of ns.nestedArray) {
		if (x instanceof protobuf.Service) out.push(x);
		else if (x.nestedArray) out.push(...collectServices(x));
	}
	return out;
}
diag(`${idlBindings.length} google.api.http bindings in the IDL`);

// protobuf's JSON name: drop '_' and upper-case the letter after it.
const jsonName = (f) => f.options?.json_name
	?? f.name.replace(/_([a-zA-Z0-9])/g, (_, c) => c.toUpperCase()).replace(/_/g, '');

// enc(type, obj) -> Buffer; dec(type, buf) -> plain object (proto names).
const enc = (type, obj) => Buffer.from(type.encode(type.fromObject(obj)).finish());
const dec = (type, buf) => type.toObject(type.decode(buf), TO_OBJECT);

// shape(type, obj, camel): problems with a JSON rendering of type -- every
// field present under the flavour's name (oneof members only when set), no
// others, values of the proto3 JSON kinds.
const INT32 = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
function shape(type, obj, camel, at = '') {
	const out = [];
	if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
		return [`${at || '(top)'}: not an object: ${short(js(obj), 80)}`];
	const want = new Map(type.fieldsArray.map((f) => [camel ? jsonName(f) : f.name, f]));
	for (const [key, f] of want) {
		if (!(key in obj)) {
			const inRealOneof = f.partOf && !f.partOf.name.startsWith('_');
			if (!inRealOneof) out.push(`${at}${key}: missing`);
			continue;
		}
		out.push(...value(f, obj[key], camel, `${at}${key}`));
	}
	for (const key of Object.keys(obj))
		if (!want.has(key)) out.push(`${at}${key}: not a field of ${type.fullName.slice(1)} in this naming`);
	return out;
}
function value(f, v, camel, at) {
	if (f.map) {
		if (v === null || typeof v !== 'object' || Array.isArray(v)) return [`${at}: map is ${short(js(v), 80)}`];
		return Object.entries(v).flatMap(([k, x]) => scalar(f, x, camel, `${at}[${k}]`));
	}
	if (f.repeated) {
		if (!Array.isArray(v)) return [`${at}: repeated field is ${short(js(v), 80)}`];
		return v.flatMap((x, i) => scalar(f, x, camel, `${at}[${i}]`));
	}
	return scalar(f, v, camel, at, true);
}
function scalar(f, v, camel, at, singular = false) {
	const rt = f.resolvedType;
	if (rt instanceof protobuf.Type) {
		if (rt.fullName.startsWith('.google.protobuf.')) return []; // well-known JSON forms
		if (v === null && singular) return [];
		return shape(rt, v, camel, `${at}.`);
	}
	if (rt instanceof protobuf.Enum)
		return typeof v === 'string' && v in rt.values ? [] : [`${at}: enum ${short(js(v), 80)} is not a name of ${rt.name}`];
	const ty = f.type;
	const good = ty === 'string' || ty === 'bytes' ? typeof v === 'string'
		: ty === 'bool' ? typeof v === 'boolean'
			: INT32.has(ty) ? Number.isInteger(v)
				: INT64.has(ty) ? typeof v === 'string' && /^-?\d+$/.test(v)
					: typeof v === 'number' || ['NaN', 'Infinity', '-Infinity'].includes(v);
	return good ? [] : [`${at}: ${ty} value ${short(js(v), 80)}`];
}
// camel-case JSON -> proto-name JSON, following type.
function toProtoNames(type, obj) {
	if (obj === null || typeof obj !== 'object') return obj;
	const out = {};
	for (const f of type.fieldsArray) {
		const k = jsonName(f) in obj ? jsonName(f) : f.name;
		if (!(k in obj)) continue;
		const v = obj[k];
		const rt = f.resolvedType instanceof protobuf.Type && !f.map ? f.resolvedType : null;
		out[f.name] = rt === null ? v : f.repeated ? v.map((x) => toProtoNames(rt, x)) : toProtoNames(rt, v);
	}
	return out;
}
// The message a JSON rendering carries, as a comparable string.
function canon(type, obj, camel) {
	try {
		return js(type.toObject(type.fromObject(camel ? toProtoNames(type, obj) : obj), TO_OBJECT));
	} catch (e) {
		return `(not a ${type.name}: ${e.message})`;
	}
}

// --- HTTP -------------------------------------------------------------
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });

// request(opt) -> {status, headers, body (Buffer), json, err, continued,
// socket}.  opt: method, path, headers, body (Buffer|string|object: JSON),
// chunked (send the body without Content-Length), expectContinue, agent.
function request(opt) {
	return new Promise((resolve) => {
		const headers = { ...(opt.headers ?? {}) };
		let body = opt.body ?? null;
		if (body !== null && !Buffer.isBuffer(body))
			body = Buffer.from(typeof body === 'string' ? body : js(body));
		if (body !== null && !opt.chunked) headers['Content-Length'] = String(body.length);
		if (opt.expectContinue) headers.Expect = '100-continue';
		const out = { status: 0, headers: {}, body: Buffer.alloc(0), json: undefined, err: null, continued: false };
		let done = false;
		const finish = (x) => {
			if (done) return;
			done = true;
			if (out.body.length && /json/.test(out.headers['content-type'] ?? '')) {
				try { out.json = JSON.parse(out.body.toString('utf8')); } catch { out.json = undefined; }
			}
			if (opt.expectContinue && !out.continued) req.destroy();
			resolve(x ?? out);
		};
		const req = http.request({
			host, port, method: opt.method ?? 'GET', path: opt.path, headers,
			agent: opt.agent ?? false, timeout: opt.timeout ?? CALL_TIMEOUT_MS,
			setHost: true,
		}, (res) => {
			out.status = res.statusCode;
			out.headers = res.headers;
			out.socket = res.socket;
			out.reused = req.reusedSocket;
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => { out.body = Buffer.concat(chunks); finish(); });
			res.on('error', (e) => { out.err = e; finish(); });
		});
		req.on('timeout', () => { out.err = new Error('timed out'); req.destroy(); finish(); });
		req.on('error', (e) => { out.err = e; finish(); });
		if (opt.expectContinue) {
			req.on('continue', () => { out.continued = true; req.end(body); });
			req.flushHeaders();
		} else if (opt.chunked) {
			req.write(body.subarray(0, body.length >> 1));
			req.end(body.subarray(body.length >> 1));
		} else {
			req.end(body ?? undefined);
		}
	});
}
const shown = (r) => `got: ${r.err ? `error ${r.err.code ?? ''} ${r.err.message}` : `${r.status} ${r.headers['content-type'] ?? ''}`} `
	+ `${short(r.json !== undefined ? js(r.json) : r.body.toString('latin1'))}`;

// raw(bytes[, {timeout, keep}]) -> {status, headers, body, json, text, ms,
// sock, err}: one request on a socket of its own, read back by hand.
// Resolves at the first complete final response (or when the socket
// closes); the socket is destroyed then unless keep is set.  The promise's
// .sock is the socket, at once.
function raw(bytes, opt = {}) {
	let sock;
	const p = new Promise((resolve) => {
		const t0 = Date.now();
		sock = net.connect(port, host);
		let buf = Buffer.alloc(0);
		const out = { status: 0, headers: {}, body: Buffer.alloc(0), text: '', ms: 0, sock, err: null };
		let done = false;
		const finish = () => {
			if (done) return;
			done = true;
			out.ms = Date.now() - t0;
			out.text = buf.toString('latin1');
			if (!opt.keep) sock.destroy();
			resolve(out);
		};
		const parse = () => {
			for (;;) { // skip interim 1xx responses
				const end = buf.indexOf('\r\n\r\n');
				if (end < 0) return false;
				const head = buf.subarray(0, end).toString('latin1').split('\r\n');
				const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0])?.[1] ?? 0);
				const headers = {};
				for (const l of head.slice(1)) {
					const i = l.indexOf(':');
					if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
				}
				if (status >= 100 && status < 200) {
					out.interim = (out.interim ?? []).concat(status);
					buf = buf.subarray(end + 4);
					continue;
				}
				const len = Number(headers['content-length'] ?? 0);
				if (buf.length < end + 4 + len) return false;
				out.status = status;
				out.headers = headers;
				out.body = buf.subarray(end + 4, end + 4 + len);
				if (/json/.test(headers['content-type'] ?? '')) {
					try { out.json = JSON.parse(out.body.toString('utf8')); } catch { /* shown raw */ }
				}
				return true;
			}
		};
		sock.setTimeout(opt.timeout ?? CALL_TIMEOUT_MS, () => { out.err = new Error('timed out'); sock.destroy(); finish(); });
		sock.on('connect', () => sock.write(bytes));
		sock.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			if (out.status === 0 && parse()) finish();
		});
		sock.on('error', (e) => { out.err = e; });
		sock.on('close', () => {
			if (out.status === 0) parse();
			finish();
		});
	});
	p.sock = sock;
	return p;
}
const rawShown = (r) => `got: ${r.err ? `error ${r.err.code ?? ''} ${r.err.message}; ` : ''}${short(r.text || '(nothing)')}`;

// A socket that the server closes (FIN or reset) within ms.
function closedWithin(sock, ms) {
	return new Promise((resolve) => {
		if (sock.destroyed || sock.readyState === 'closed') { resolve(true); return; }
		const t = setTimeout(() => resolve(false), ms);
		sock.on('close', () => { clearTimeout(t); resolve(true); });
		sock.resume();
	});
}

// --- the encodings ------------------------------------------------------
const BIN = 'application/octet-stream';
const JSONT = 'application/json';
// flavour -> request headers for a call in it (GET: Accept only)
const FLAVOURS = {
	binary: { 'Content-Type': BIN, Accept: BIN },
	json: { 'Content-Type': JSONT, Accept: JSONT },
	camel: { Accept: '*/*' }, // curl's way: no Content-Type, Accept: */*
};
const ctOf = (flavour) => (flavour === 'binary' ? BIN : JSONT);
const mediaIs = (r, type) => (r.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() === type;

// call(flavour, method, path, reqObj|undefined, extra) -> response with
// .msg: the decoded response (proto names) or undefined.
async function call(flavour, verb, path, reqType, reqObj, extra = {}) {
	const headers = { ...FLAVOURS[flavour], ...(extra.headers ?? {}) };
	if (reqObj === undefined) delete headers['Content-Type'];
	let body;
	if (reqObj !== undefined)
		body = flavour === 'binary' ? enc(reqType, reqObj) : Buffer.from(js(reqObj));
	const r = await request({ method: verb, path, headers, body, agent: extra.agent });
	return r;
}
// The response message of a 200 in flavour, as proto-name JSON, with the
// shape problems found.
function decoded(r, flavour, type) {
	if (r.status !== 200) return { msg: undefined, problems: [`status ${r.status}`] };
	if (flavour === 'binary') {
		if (!mediaIs(r, BIN)) return { msg: undefined, problems: [`Content-Type ${r.headers['content-type']}`] };
		try { return { msg: dec(type, r.body), problems: [] }; } catch (e) {
			return { msg: undefined, problems: [`cannot decode as ${type.name}: ${e.message}`] };
		}
	}
	if (!mediaIs(r, JSONT)) return { msg: undefined, problems: [`Content-Type ${r.headers['content-type']}`] };
	if (r.json === undefined) return { msg: undefined, problems: ['body is not JSON'] };
	const camel = flavour === 'camel';
	const problems = shape(type, r.json, camel);
	let msg;
	try { msg = type.toObject(type.fromObject(camel ? toProtoNames(type, r.json) : r.json), TO_OBJECT); } catch (e) {
		problems.push(`not a ${type.name}: ${e.message}`);
	}
	return { msg, problems };
}

// The google.rpc.Status of an error response, in flavour.
function errorOf(r, flavour) {
	if (flavour === 'binary') {
		try { return { st: dec(Status, r.body), problems: mediaIs(r, BIN) ? [] : [`Content-Type ${r.headers['content-type']}`] }; } catch (e) {
			return { st: null, problems: [`not a google.rpc.Status: ${e.message}`] };
		}
	}
	if (r.json === undefined) return { st: null, problems: ['body is not JSON'] };
	const problems = shape(Status, r.json, flavour === 'camel');
	if (!mediaIs(r, JSONT)) problems.push(`Content-Type ${r.headers['content-type']}`);
	return { st: r.json, problems };
}
// expectError(r, flavour, httpStatus, grpcCode, substrings, desc)
function expectError(r, flavour, status, code, subs, desc) {
	const { st, problems } = r.err ? { st: null, problems: [String(r.err)] } : errorOf(r, flavour);
	subs = [subs ?? []].flat();
	const good = r.status === status && st && st.code === code && problems.length === 0
		&& subs.every((s) => String(st.message).includes(s));
	return ok(good, desc, `want: HTTP ${status}, code ${code}${subs.length ? `, message with ${subs.map(js).join(' and ')}` : ''}`,
		shown(r), ...problems.map((p) => `problem: ${p}`));
}

// --- helpers for the project data ---------------------------------------
const DOMAINS = ['development', 'production', 'staging'];
const Project = T('flyteidl.admin.Project');
const Projects = T('flyteidl.admin.Projects');
const M = (name) => methods[name];

async function alive(desc) {
	const r = await request({ path: '/api/v1/version', headers: { Accept: JSONT } });
	return ok(r.status === 200 && r.json?.control_plane_version, desc, shown(r));
}

// =======================================================================
async function main() {
	const r0 = await request({ path: '/healthcheck' });
	if (!ok(r0.status === 200, `the REST door at ${address} answers GET /healthcheck with 200`, shown(r0))) finish();
	ok(r0.body.toString() === 'ok\n' && mediaIs(r0, 'text/plain'), 'GET /healthcheck: text/plain "ok"', shown(r0));
	const rh = await request({ method: 'HEAD', path: '/healthcheck' });
	ok(rh.status === 200 && rh.body.length === 0, 'HEAD /healthcheck: 200, no body', shown(rh));

	await bindingTable();
	await versionAndDomains();
	await projects();
	await listing();
	await errors();
	await registry();
	await executions();
	await unimplemented();
	await requestIds();
	await openapi();
	await bodies();
	await slowClient();
	await cors();
	await concurrency();

	await alive('after everything, GET /api/v1/version still answers');
	const r = await request({ path: '/api/v1/projects/rest-bin', headers: { Accept: JSONT } });
	ok(r.status === 200 && r.json?.id === 'rest-bin', 'and rest-bin is still there', shown(r));
	keepAlive.destroy();
	finish();
}

// -- the binding table -----------------------------------------------------
async function bindingTable() {
	const key = (b) => `${b.verb} ${b.path} -> ${b.rpc.split('/').pop()}`;
	if (!bindingsFile || !existsSync(bindingsFile)) {
		skip('gen/rest_bindings.c lists exactly the IDL\'s google.api.http bindings', `no ${bindingsFile ?? '--bindings'}`);
		genTable = null;
		return;
	}
	const text = readFileSync(bindingsFile, 'utf8');
	genTable = [...text.matchAll(/\{"(GET|PUT|POST|DELETE|PATCH)", "([^"]*)", "([^"]*)", "([^"]*)", "([^"]*)"\}/g)]
		.map((m) => ({ verb: m[1], path: m[2], body: m[3], response_body: m[4], rpc: m[5] }));
	const count = Number(/rest_nbindings\s*=\s*(\d+)/.exec(text)?.[1]);
	ok(genTable.length === count && count > 0, `gen/rest_bindings.c: ${genTable.length} rows parsed, rest_nbindings = ${count}`);
	// The same rows; generators may order the services differently, but
	// within a service the IDL order is kept (it breaks routing ties).
	const withBody = (b) => `${key(b)} body "${b.body}"`;
	const fromGen = genTable.map(withBody).sort(), want = idlBindings.map(withBody).sort();
	ok(js(fromGen) === js(want), 'gen/rest_bindings.c lists exactly the IDL\'s google.api.http bindings (verb, template, body, method)',
		`only in the table: ${fromGen.filter((x) => !want.includes(x)).join('; ')}`,
		`only in the IDL: ${want.filter((x) => !fromGen.includes(x)).join('; ')}`);
	const svcOf = (b) => b.rpc.split('/')[1];
	const byService = (list) => Object.fromEntries([...new Set(list.map(svcOf))].map((sv) => [sv, list.filter((b) => svcOf(b) === sv).map(key)]));
	const g = byService(genTable), i = byService(idlBindings);
	const unordered = Object.keys(i).filter((sv) => js(g[sv]) !== js(i[sv]));
	ok(unordered.length === 0, 'and, service by service, in IDL order', `differs in: ${unordered.join(' ')}`,
		...unordered.map((sv) => `${sv}: table ${js(g[sv])}\n${sv}: IDL   ${js(i[sv])}`));
}
let genTable = null;

// -- GetVersion, GetDomains in every encoding -------------------------------
async function versionAndDomains() {
	const V = M('GetVersion').res, D = M('GetDomains').res;
	const seen = {};
	for (const fl of ['binary', 'json', 'camel']) {
		const r = await call(fl, 'GET', '/api/v1/version');
		const { msg, problems } = decoded(r, fl, V);
		const v = msg?.control_plane_version;
		ok(problems.length === 0 && v && v.Version !== '' && typeof v.Build === 'string' && typeof v.BuildTime === 'string',
			`GetVersion ${fl}: 200, a ${ctOf(fl)} GetVersionResponse with control_plane_version.Version set`,
			shown(r), ...problems);
		seen[fl] = js(msg);
		if (fl === 'json') {
			ok(r.json && 'control_plane_version' in r.json && js(Object.keys(r.json.control_plane_version ?? {}).sort()) === js(['Build', 'BuildTime', 'Version']),
				'GetVersion json: proto names (control_plane_version with Build, Version, BuildTime)', shown(r));
		}
		if (fl === 'camel') {
			ok(r.json && 'controlPlaneVersion' in r.json && js(Object.keys(r.json.controlPlaneVersion ?? {}).sort()) === js(['Build', 'BuildTime', 'Version']),
				'GetVersion Accept */*: lowerCamelCase (controlPlaneVersion with Build, Version, BuildTime)', shown(r));
		}
	}
	ok(seen.binary === seen.json && seen.json === seen.camel, 'GetVersion: the three encodings carry the same message',
		`binary ${seen.binary}`, `json   ${seen.json}`, `camel  ${seen.camel}`);
	if (seen.json) diag(`GetVersion: ${seen.json}`);

	// Negotiation: Accept by exact match, else like the request.
	const cases = [
		[{}, 'camel', 'no Content-Type, no Accept'],
		[{ 'Content-Type': 'text/plain' }, 'camel', 'Content-Type text/plain'],
		[{ Accept: 'application/json, text/plain, */*' }, 'camel', 'axios\' Accept list (not an exact match)'],
		[{ 'Content-Type': JSONT }, 'json', 'Content-Type application/json, no Accept'],
		[{ 'Content-Type': BIN }, 'binary', 'Content-Type application/octet-stream, no Accept'],
		[{ 'Content-Type': BIN, Accept: JSONT }, 'json', 'Content-Type octet-stream, Accept application/json'],
		[{ 'Content-Type': JSONT, Accept: BIN }, 'binary', 'Content-Type application/json, Accept octet-stream'],
		[{ Accept: BIN }, 'binary', 'Accept application/octet-stream only'],
	];
	for (const [headers, fl, what] of cases) {
		const r = await request({ path: '/api/v1/version', headers });
		const { problems } = decoded(r, fl, V);
		ok(problems.length === 0, `GetVersion with ${what}: answered in ${fl}`, shown(r), ...problems);
	}
	const rh = await request({ method: 'HEAD', path: '/api/v1/version', headers: { Accept: JSONT } });
	ok(rh.status === 200 && rh.body.length === 0 && mediaIs(rh, JSONT), 'HEAD /api/v1/version: 200, application/json, no body', shown(rh));

	const dseen = {};
	for (const fl of ['binary', 'json', 'camel']) {
		const r = await call(fl, 'GET', '/api/v1/domains');
		const { msg, problems } = decoded(r, fl, D);
		const ids = (msg?.domains ?? []).map((d) => d.id).sort();
		ok(problems.length === 0 && js(ids) === js(DOMAINS) && msg.domains.every((d) => d.name),
			`GetDomains ${fl}: development, staging, production, each with a name`, shown(r), ...problems);
		dseen[fl] = js(msg);
	}
	ok(dseen.binary === dseen.json && dseen.json === dseen.camel, 'GetDomains: the three encodings carry the same message',
		`binary ${dseen.binary}`, `json   ${dseen.json}`, `camel  ${dseen.camel}`);
}

// -- projects in every encoding ---------------------------------------------
async function projects() {
	const Reg = M('RegisterProject'), Upd = M('UpdateProject'), Get = M('GetProject');
	const made = {
		binary: { id: 'rest-bin', name: 'Rest Binary', description: 'registered in binary', labels: { values: { enc: 'binary', team: 'keel' } } },
		json: { id: 'rest-json', name: 'Rest JSON', description: 'registered in JSON', labels: { values: { enc: 'json' } } },
		camel: { id: 'rest-camel', name: 'Rest Camel', description: 'registered in camel JSON', labels: { values: { enc: 'camel' } } },
	};
	for (const fl of ['binary', 'json', 'camel']) {
		const r = await call(fl, 'POST', '/api/v1/projects', Reg.req, { project: made[fl] });
		const { msg, problems } = decoded(r, fl, Reg.res);
		ok(problems.length === 0 && msg && js(msg) === '{}',
			`RegisterProject ${fl} (POST /api/v1/projects): 200 and an empty ProjectRegisterResponse`, shown(r), ...problems);
		if (fl === 'binary') ok(r.body.length === 0, 'RegisterProject binary: a 0-byte body', `length ${r.body.length}`);
		else ok(r.body.toString().trim() === '{}', `RegisterProject ${fl}: the body is {}`, shown(r));
	}
	// Media type parameters are not part of the match.
	let r = await request({ method: 'POST', path: '/api/v1/projects',
		headers: { 'Content-Type': 'application/json; charset=utf-8' },
		body: { project: { id: 'rest-charset', name: 'Charset' } } });
	ok(r.status === 200 && mediaIs(r, JSONT) && js(r.json) === '{}',
		'RegisterProject with Content-Type "application/json; charset=utf-8": 200 {}', shown(r));
	// A JSON body with only some fields, enum by number, null message.
	r = await request({ method: 'POST', path: '/api/v1/projects', headers: { 'Content-Type': JSONT },
		body: { project: { id: 'rest-min', name: 'Minimal', state: 0, labels: null, domains: [] } } });
	ok(r.status === 200, 'RegisterProject json with "state": 0, "labels": null, "domains": []: 200', shown(r));

	// Read each back in each encoding.
	for (const [madeIn, p] of Object.entries(made)) {
		const seen = {};
		for (const fl of ['binary', 'json', 'camel']) {
			r = await call(fl, 'GET', `/api/v1/projects/${p.id}`);
			const { msg, problems } = decoded(r, fl, Get.res);
			const good = msg && msg.id === p.id && msg.name === p.name && msg.description === p.description
				&& js(msg.labels?.values) === js(p.labels.values) && msg.state === 'ACTIVE'
				&& js(msg.domains.map((d) => d.id).sort()) === js(DOMAINS);
			ok(problems.length === 0 && good, `GetProject ${p.id} (made in ${madeIn}) read in ${fl}: as registered, ACTIVE, three domains`,
				shown(r), ...problems);
			seen[fl] = js(msg);
		}
		ok(seen.binary === seen.json && seen.json === seen.camel, `GetProject ${p.id}: the three encodings carry the same message`,
			`binary ${seen.binary}`, `json   ${seen.json}`, `camel  ${seen.camel}`);
	}
	// Every field present, also the empty ones.
	r = await call('json', 'GET', '/api/v1/projects/rest-min');
	ok(r.status === 200 && r.json && js(Object.keys(r.json).sort()) === js(['description', 'domains', 'id', 'labels', 'name', 'org', 'state'])
		&& r.json.description === '' && r.json.org === '' && r.json.labels === null && r.json.state === 'ACTIVE',
	'GetProject rest-min json: id, name, domains, description "", labels null, state "ACTIVE", org "" all present', shown(r));
	r = await call('camel', 'GET', '/api/v1/projects/rest-min');
	ok(r.status === 200 && r.json && js(Object.keys(r.json).sort()) === js(['description', 'domains', 'id', 'labels', 'name', 'org', 'state'])
		&& r.json.description === '' && r.json.org === '' && r.json.labels === null,
	'GetProject rest-min Accept */*: every field present too', shown(r));

	// Path segments are percent-decoded one by one.
	r = await call('json', 'GET', '/api/v1/projects/rest%2Dbin');
	ok(r.status === 200 && r.json?.id === 'rest-bin', 'GET /api/v1/projects/rest%2Dbin: the project rest-bin', shown(r));
	r = await call('json', 'GET', '/api/v1/projects/a%2Fb');
	ok(r.status !== 200 && r.json && String(r.json.message).includes('a/b') && !/route/i.test(String(r.json.message)),
		'GET /api/v1/projects/a%2Fb: GetProject of id "a/b" (%2F stays inside its segment)', shown(r));
	// Query parameters next to a path variable.
	r = await call('json', 'GET', '/api/v1/projects/rest-bin?org=');
	ok(r.status === 200 && r.json?.id === 'rest-bin', 'GET /api/v1/projects/rest-bin?org=: 200', shown(r));

	// UpdateProject in each encoding.
	r = await call('binary', 'PUT', '/api/v1/projects/rest-bin', Upd.req,
		{ id: 'rest-bin', name: 'Rest Binary 2', description: 'updated in binary', labels: { values: { enc: 'binary2' } } });
	let d = decoded(r, 'binary', Upd.res);
	ok(d.problems.length === 0 && r.body.length === 0, 'UpdateProject binary (PUT /api/v1/projects/rest-bin): 200, empty ProjectUpdateResponse', shown(r), ...d.problems);
	r = await call('json', 'GET', '/api/v1/projects/rest-bin');
	ok(r.json?.name === 'Rest Binary 2' && r.json?.description === 'updated in binary' && js(r.json?.labels) === js({ values: { enc: 'binary2' } }),
		'GetProject rest-bin after it: updated', shown(r));
	// The id comes from the path when the body has none.
	r = await call('json', 'PUT', '/api/v1/projects/rest-json', Upd.req, { name: 'Rest JSON 2', description: 'updated in JSON' });
	d = decoded(r, 'json', Upd.res);
	ok(d.problems.length === 0 && js(r.json) === '{}', 'UpdateProject json without an id in the body: 200 {} (the id from the path)', shown(r), ...d.problems);
	r = await call('json', 'GET', '/api/v1/projects/rest-json');
	ok(r.json?.name === 'Rest JSON 2' && r.json?.description === 'updated in JSON', 'GetProject rest-json after it: updated', shown(r));
	// The same id in both: fine.
	r = await call('camel', 'PUT', '/api/v1/projects/rest-camel', Upd.req,
		{ id: 'rest-camel', name: 'Rest Camel', description: 'archived', state: 'ARCHIVED' });
	ok(r.status === 200 && js(r.json) === '{}', 'UpdateProject camel with the same id in path and body, state "ARCHIVED": 200 {}', shown(r));
	r = await call('camel', 'GET', '/api/v1/projects/rest-camel');
	ok(r.json?.state === 'ARCHIVED', 'GetProject rest-camel: state ARCHIVED', shown(r));
	r = await call('camel', 'PUT', '/api/v1/projects/rest-camel', Upd.req, { name: 'Rest Camel', state: 0 });
	ok(r.status === 200, 'UpdateProject camel with "state": 0 (an enum by number): 200', shown(r));
	r = await call('binary', 'GET', '/api/v1/projects/rest-camel');
	d = decoded(r, 'binary', Get.res);
	ok(d.msg?.state === 'ACTIVE', 'GetProject rest-camel binary: state ACTIVE again', shown(r), ...d.problems);

	// A binary body with a field this IDL does not know: skipped.
	const withUnknown = Buffer.concat([enc(Reg.req, { project: { id: 'rest-unknown-field', name: 'U' } }), Buffer.from([0xf8, 0x06, 0x01])]);
	r = await request({ method: 'POST', path: '/api/v1/projects', headers: FLAVOURS.binary, body: withUnknown });
	ok(r.status === 200, 'RegisterProject binary with an unknown field (111): 200, the field skipped', shown(r));

	// Listing in each encoding.
	const seen = {};
	for (const fl of ['binary', 'json', 'camel']) {
		r = await call(fl, 'GET', '/api/v1/projects?limit=1000');
		d = decoded(r, fl, M('ListProjects').res);
		const ids = (d.msg?.projects ?? []).map((p) => p.id);
		ok(d.problems.length === 0 && ['rest-bin', 'rest-json', 'rest-camel', 'rest-min'].every((i) => ids.includes(i)) && d.msg.token === '',
			`ListProjects ${fl}: a Projects message with the rest-* projects, token ""`, shown(r), ...d.problems);
		seen[fl] = js(d.msg);
	}
	ok(seen.binary === seen.json && seen.json === seen.camel, 'ListProjects: the three encodings carry the same message',
		`binary ${short(seen.binary, 600)}`, `json   ${short(seen.json, 600)}`, `camel  ${short(seen.camel, 600)}`);
}

// -- ListProjects query mapping -------------------------------------------
const L = ['rest-l-alpha', 'rest-l-beta', 'rest-l-delta', 'rest-l-gamma'];
const F = 'filters=contains(identifier,rest-l-)';
async function list(q, fl = 'json') {
	const r = await call(fl, 'GET', `/api/v1/projects${q ? `?${q}` : ''}`);
	const d = decoded(r, fl, Projects);
	return { r, ids: (d.msg?.projects ?? []).map((p) => p.id), token: d.msg?.token, msg: d.msg, problems: d.problems };
}
function isList(x, ids, token, desc) {
	return ok(x.problems.length === 0 && js(x.ids) === js(ids) && (token === undefined || x.token === token), desc,
		`want: ${js(ids)}${token !== undefined ? ` token ${js(token)}` : ''}`,
		`got:  ${js(x.ids)} token ${js(x.token)}`, shown(x.r), ...x.problems);
}
async function listing() {
	// names sort the other way round from ids
	const names = { 'rest-l-gamma': 'Xray', 'rest-l-alpha': 'Zed', 'rest-l-delta': 'Wolf', 'rest-l-beta': 'Yak' };
	for (const [id, name] of Object.entries(names)) { // out of order on purpose
		const r = await call('json', 'POST', '/api/v1/projects', M('RegisterProject').req, { project: { id, name } });
		ok(r.status === 200, `RegisterProject ${id}: 200`, shown(r));
	}
	let x = await list('limit=1000');
	const all = x.ids;
	ok(x.problems.length === 0 && all.length > 0 && js(all) === js([...all].sort()), 'ListProjects limit=1000: sorted by identifier ascending (the default)',
		`got: ${js(all)}`, shown(x.r));
	ok(js(all.filter((i) => i.startsWith('rest-l-'))) === js(L), 'and the rest-l-* projects in order', `got: ${js(all)}`);
	ok(x.msg?.projects.every((p) => p.domains.length === 3), 'every listed project carries the three domains');
	x = await list('');
	ok(js(x.ids) === js(all) && x.token === '', 'ListProjects without limit (0): everything, token ""', `got: ${js(x.ids)} token ${js(x.token)}`);

	x = await list(F);
	isList(x, L, '', `ListProjects ${F}: the four, token ""`);
	x = await list(`${F}&limit=3`);
	isList(x, L.slice(0, 3), '3', 'limit=3: the first three, token "3"');
	x = await list(`${F}&limit=3&token=3`);
	isList(x, L.slice(3), '', 'limit=3&token=3: the last one, token ""');
	x = await list(`${F}&limit=2`);
	isList(x, L.slice(0, 2), '2', 'limit=2: first page, token "2"');
	x = await list(`${F}&limit=2&token=${x.token}`);
	isList(x, L.slice(2), '', 'limit=2&token=2: second page, token "" (as over gRPC)');

	const desc = [...L].reverse();
	const byName = ['rest-l-delta', 'rest-l-gamma', 'rest-l-beta', 'rest-l-alpha']; // Wolf Xray Yak Zed
	x = await list(`${F}&sort_by.key=identifier&sort_by.direction=DESCENDING`);
	isList(x, desc, '', 'sort_by.key=identifier&sort_by.direction=DESCENDING (enum by name)');
	x = await list(`${F}&sortBy.key=identifier`);
	isList(x, desc, '', 'sortBy.key=identifier (JSON name; direction defaults to DESCENDING)');
	x = await list(`${F}&sort_by.key=name&sort_by.direction=ASCENDING`);
	isList(x, byName, '', 'sort_by.key=name&sort_by.direction=ASCENDING');
	x = await list(`${F}&sort_by.key=identifier`, 'camel');
	isList(x, desc, '', 'sort_by.key=identifier (proto name) answered in camel JSON');
	x = await list(`${F}&sortBy.key=name&sortBy.direction=1`);
	isList(x, byName, '', 'sortBy.key=name&sortBy.direction=1 (enum by number)');
	x = await list(`${F}&sort_by.key=name&sortBy.direction=ASCENDING&limit=2`);
	isList(x, byName.slice(0, 2), '2', 'the two namings mixed, with limit=2');
	x = await list(`sort_by.key=identifier&sort_by.direction=DESCENDING&${F}`, 'binary');
	isList(x, desc, '', 'the same in binary (Accept octet-stream)');
	x = await list(`${F.replace('(', '%28').replace(',', '%2C')}%2Beq(state%2C0)`);
	isList(x, L, '', 'filters=contains(identifier,rest-l-)+eq(state,0) percent-encoded (%2B is "+", %2C ",")');

	// Archive one: hidden without filters, found with eq(state,1).
	let r = await call('json', 'PUT', '/api/v1/projects/rest-l-gamma', M('UpdateProject').req, { id: 'rest-l-gamma', name: 'Xray', state: 'ARCHIVED' });
	ok(r.status === 200, 'UpdateProject rest-l-gamma state ARCHIVED: 200', shown(r));
	x = await list('limit=1000');
	ok(js(x.ids.filter((i) => i.startsWith('rest-l-'))) === js(L.slice(0, 3)), 'ListProjects without filters hides the archived one', `got: ${js(x.ids)}`);
	x = await list(`${F}%2Beq(state,1)`);
	isList(x, ['rest-l-gamma'], '', 'filters=...+eq(state,1): only the archived one');
	r = await call('json', 'PUT', '/api/v1/projects/rest-l-gamma', M('UpdateProject').req, { id: 'rest-l-gamma', name: 'Xray', state: 'ACTIVE' });
	ok(r.status === 200, 'UpdateProject rest-l-gamma state ACTIVE: 200', shown(r));

	// Bad parameters: 400 naming the parameter.
	const bad = [
		['limit=abc', 'limit'],
		['limit=-1', 'limit'],
		['limit=4294967296', 'limit'],
		['limit=1.5', 'limit'],
		['limit=1&limit=2', 'limit'],
		['bogus=1', 'bogus'],
		['sort_by.bogus=1', 'sort_by.bogus'],
		['sort_by.direction=SIDEWAYS', 'sort_by.direction'],
		['sort_by=identifier', 'sort_by'],
		['filters=%zz', 'filters'],
	];
	for (const [q, name] of bad) {
		r = await call('json', 'GET', `/api/v1/projects?${q}`);
		expectError(r, 'json', 400, 3, name, `GET /api/v1/projects?${q}: 400, INVALID_ARGUMENT naming "${name}"`);
	}
	r = await call('camel', 'GET', '/api/v1/projects?bogus=1');
	expectError(r, 'camel', 400, 3, 'bogus', '?bogus=1 with Accept */*: the same error in camel JSON');
	r = await call('binary', 'GET', '/api/v1/projects?bogus=1');
	expectError(r, 'binary', 400, 3, 'bogus', '?bogus=1 with Accept octet-stream: a binary google.rpc.Status');
	// Values the service refuses, as over gRPC.
	r = await call('json', 'GET', `/api/v1/projects?${F}&limit=2&token=x`);
	expectError(r, 'json', 400, 3, 'invalid pagination token x', 'token=x: 400 "invalid pagination token x"');
	r = await call('json', 'GET', `/api/v1/projects?${F}&sort_by.key=nope`);
	expectError(r, 'json', 400, 3, "invalid sort key 'nope'", "sort_by.key=nope: 400 \"invalid sort key 'nope'\"");
	r = await call('json', 'GET', '/api/v1/projects?filters=eq(state');
	expectError(r, 'json', 400, 3, null, 'filters=eq(state: 400');
}

// -- errors ------------------------------------------------------------------
async function errors() {
	const Reg = M('RegisterProject');
	for (const fl of ['binary', 'json', 'camel']) {
		const r = await call(fl, 'GET', '/api/v1/projects/rest-nope');
		expectError(r, fl, 404, 5, 'project [rest-nope] not found', `GetProject of an unknown id in ${fl}: 404, code 5 NOT_FOUND`);
		const { st } = errorOf(r, fl);
		ok(Array.isArray(st?.details) && st.details.length === 0, `and details is an empty list (${fl})`, shown(r));
	}
	for (const fl of ['binary', 'json', 'camel']) {
		const r = await call(fl, 'POST', '/api/v1/projects', Reg.req, { project: { id: 'rest-bin', name: 'again' } });
		expectError(r, fl, 409, 6, 'project with id [rest-bin] already exists', `RegisterProject of an existing id in ${fl}: 409, code 6 ALREADY_EXISTS`);
	}
	let r = await call('json', 'POST', '/api/v1/projects', Reg.req, { project: { id: 'Bad', name: 'Bad' } });
	expectError(r, 'json', 400, 3, 'invalid project id [Bad]', 'RegisterProject id "Bad": 400, code 3 INVALID_ARGUMENT');
	r = await call('binary', 'POST', '/api/v1/projects', Reg.req, { project: { id: 'rest-noname' } });
	expectError(r, 'binary', 400, 3, 'missing project_name', 'RegisterProject binary without a name: 400, code 3');
	r = await request({ method: 'POST', path: '/api/v1/projects', headers: { 'Content-Type': JSONT } });
	expectError(r, 'json', 400, 3, 'missing project', 'RegisterProject with no body at all: 400 "missing project"');
	r = await request({ method: 'POST', path: '/api/v1/projects', headers: FLAVOURS.binary, body: Buffer.alloc(0) });
	expectError(r, 'binary', 400, 3, 'missing project', 'RegisterProject binary with a 0-byte body: 400 "missing project"');

	// Routing.
	for (const path of ['/api/v1/nope', '/api/v2/projects', '/', '/api/v1/projects/a/b/c', '/api/v1/version/']) {
		r = await call('json', 'GET', path);
		expectError(r, 'json', 404, 5, null, `GET ${path}: 404, code 5`);
	}
	r = await call('json', 'DELETE', '/api/v1/projects');
	expectError(r, 'json', 405, 12, null, 'DELETE /api/v1/projects: 405, code 12');
	const allow = (r.headers.allow ?? '').split(/\s*,\s*/).sort();
	ok(js(allow) === js(['GET', 'POST']), 'and Allow: GET, POST', `Allow: ${r.headers.allow}`);
	r = await call('json', 'PATCH', '/api/v1/version');
	ok(r.status === 405 && (r.headers.allow ?? '').split(/\s*,\s*/).join() === 'GET', 'PATCH /api/v1/version: 405, Allow: GET', shown(r), `Allow: ${r.headers.allow}`);
	r = await call('json', 'POST', '/api/v1/projects/rest-bin', Reg.req, {});
	ok(r.status === 405 && js((r.headers.allow ?? '').split(/\s*,\s*/).sort()) === js(['GET', 'PUT']),
		'POST /api/v1/projects/rest-bin: 405, Allow: GET, PUT', shown(r), `Allow: ${r.headers.allow}`);
	r = await call('binary', 'GET', '/api/v1/project_domain_attributes/p/d');
	expectError(r, 'binary', 501, 12, 'GetProjectDomainAttributes', 'GET /api/v1/project_domain_attributes/p/d (binary): 501, code 12 naming GetProjectDomainAttributes');
	r = await call('json', 'GET', '/api/v1/projects/%zz');
	expectError(r, 'json', 400, 3, null, 'GET /api/v1/projects/%zz (a malformed escape): 400');
	r = await call('json', 'GET', '/api/v1/projects/a%00b');
	expectError(r, 'json', 400, 3, null, 'GET /api/v1/projects/a%00b (an encoded NUL): 400');

	// Bodies that are not the request.
	const badBodies = [
		['{"project": ', JSONT, null, 'a truncated JSON body'],
		['[1, 2]', JSONT, null, 'a JSON array'],
		['{"project": {"id": 5, "name": "x"}}', JSONT, 'id', 'a number for a string field'],
		['{"project": {"id": "rest-x", "name": "x", "bogus_field": 1}}', JSONT, 'bogus_field', 'an unknown field (application/json)'],
		['{"project": {"id": "rest-x", "name": "x", "bogusField": 1}}', undefined, 'bogusField', 'an unknown field (no Content-Type)'],
		['{"project": {"id": "rest-x", "name": "x", "state": "NOPE"}}', JSONT, 'NOPE', 'an unknown enum name'],
		['{"project": {"id": "rest-x", "name": "x"}} trailing', JSONT, null, 'JSON with trailing garbage'],
	];
	for (const [body, ct, sub, what] of badBodies) {
		r = await request({ method: 'POST', path: '/api/v1/projects', headers: ct ? { 'Content-Type': ct } : {}, body });
		expectError(r, ct ? 'json' : 'camel', 400, 3, sub, `RegisterProject with ${what}: 400, code 3${sub ? ` naming "${sub}"` : ''}`);
	}
	r = await request({ method: 'POST', path: '/api/v1/projects', headers: FLAVOURS.binary, body: Buffer.from([0x0a, 0x64, 0x61]) });
	expectError(r, 'binary', 400, 3, null, 'RegisterProject with a malformed binary body: 400, code 3 (binary Status)');
	r = await call('json', 'GET', '/api/v1/projects/rest-x');
	ok(r.status === 404, 'none of them stored rest-x', shown(r));

	// Path and body disagree.
	r = await call('json', 'PUT', '/api/v1/projects/rest-bin', M('UpdateProject').req, { id: 'rest-json', name: 'Hijack' });
	expectError(r, 'json', 400, 3, ['rest-bin', 'rest-json'], 'PUT /api/v1/projects/rest-bin with body id rest-json: 400 naming both values');
	r = await call('binary', 'PUT', '/api/v1/projects/rest-bin', M('UpdateProject').req, { id: 'rest-json', name: 'Hijack' });
	expectError(r, 'binary', 400, 3, 'rest-bin', 'the same in binary: 400');
	r = await call('json', 'GET', '/api/v1/projects/rest-json');
	ok(r.json?.name === 'Rest JSON 2', 'rest-json was not renamed', shown(r));
	// Query parameters where the body carries everything, or repeating a path variable.
	r = await call('json', 'PUT', '/api/v1/projects/rest-bin?name=x', M('UpdateProject').req, { name: 'Rest Binary 2' });
	expectError(r, 'json', 400, 3, 'name', 'PUT /api/v1/projects/rest-bin?name=x (body "*"): 400 naming "name"');
	r = await call('json', 'POST', '/api/v1/projects?project.id=rest-q', Reg.req, { project: { id: 'rest-q', name: 'Q' } });
	expectError(r, 'json', 400, 3, 'project.id', 'POST /api/v1/projects?project.id=rest-q: 400 naming "project.id"');
	r = await call('json', 'GET', '/api/v1/projects/rest-bin?id=rest-json');
	expectError(r, 'json', 400, 3, 'id', 'GET /api/v1/projects/rest-bin?id=rest-json (the path variable again): 400 naming "id"');

	// Grpc-Timeout, as grpc-gateway reads it.
	r = await request({ path: '/api/v1/version', headers: { Accept: JSONT, 'Grpc-Timeout': '10S' } });
	ok(r.status === 200, 'Grpc-Timeout: 10S: 200', shown(r));
	r = await request({ path: '/api/v1/version', headers: { Accept: JSONT, 'Grpc-Timeout': 'soon' } });
	expectError(r, 'json', 400, 3, 'Grpc-Timeout', 'Grpc-Timeout: soon: 400 naming the header');
	await alive('the server still answers after the bad requests');
}

// -- the registry over REST: a task, a workflow, launch-plan activation ---
async function registry() {
	const PD = { project: 'rest-reg', domain: 'development' };
	const rid = (resource_type, name, version = 'v1') => ({ resource_type, ...PD, name, version });
	const intT = { simple: 'INTEGER' };
	const vars = (o) => ({ variables: Object.fromEntries(Object.entries(o).map(([k, t]) => [k, { type: t }])) });
	let r = await call('json', 'POST', '/api/v1/projects', M('RegisterProject').req, { project: { id: 'rest-reg', name: 'rest-reg' } });
	ok(r.status === 200, 'registry: project rest-reg', shown(r));
	r = await call('json', 'POST', '/api/v1/tasks', M('CreateTask').req, {
		id: rid('TASK', 'add'),
		spec: { template: { type: 'python-task', metadata: {}, container: { image: 'img:1' },
			interface: { inputs: vars({ a: intT, b: intT }), outputs: vars({ o0: intT }) } } },
	});
	ok(r.status === 200, 'POST /api/v1/tasks (json): 200', shown(r));
	const wf = {
		id: rid('WORKFLOW', 'wf'),
		spec: { template: {
			interface: { inputs: vars({ x: intT }), outputs: vars({ o: intT }) },
			nodes: [{ id: 'n0', task_node: { reference_id: rid('TASK', 'add') },
				inputs: [{ var: 'a', binding: { promise: { node_id: 'start-node', var: 'x' } } },
					{ var: 'b', binding: { scalar: { primitive: { integer: '2' } } } }] }],
			outputs: [{ var: 'o', binding: { promise: { node_id: 'n0', var: 'o0' } } }],
		} },
	};
	r = await call('binary', 'POST', '/api/v1/workflows', M('CreateWorkflow').req, wf);
	ok(r.status === 200, 'POST /api/v1/workflows (binary, as the console sends): 200', shown(r));
	r = await call('json', 'POST', '/api/v1/workflows', M('CreateWorkflow').req, wf);
	expectError(r, 'json', 409, 6, 'identical structure', 'the same workflow again (json): 409, code 6');
	const bad = JSON.parse(js(wf));
	bad.id.version = 'v2';
	bad.spec.template.nodes[0].inputs[1].binding = { scalar: { primitive: { string_value: 'two' } } };
	r = await call('json', 'POST', '/api/v1/workflows', M('CreateWorkflow').req, bad);
	expectError(r, 'json', 400, 3, 'MismatchingTypes', 'a string bound to an integer input: 400 naming MismatchingTypes');
	r = await call('binary', 'GET', '/api/v1/workflows/rest-reg/development/wf/v1');
	{
		const { msg, problems } = decoded(r, 'binary', M('GetWorkflow').res);
		const nodes = msg?.closure?.compiled_workflow?.primary?.template?.nodes ?? [];
		ok(problems.length === 0 && nodes.map((n) => n.id).sort().join() === 'end-node,n0,start-node',
			'GetWorkflow (binary, no resource type in the path): the compiled closure', shown(r), ...problems);
	}
	// protobufjs' fromObject takes no RFC 3339 timestamps, so the JSON
	// flavours are read as they are.
	for (const [fl, cw, at] of [['json', 'compiled_workflow', 'created_at'], ['camel', 'compiledWorkflow', 'createdAt']]) {
		r = await call(fl, 'GET', '/api/v1/workflows/rest-reg/development/wf/v1');
		const nodes = r.json?.closure?.[cw]?.primary?.template?.nodes ?? [];
		ok(r.status === 200 && nodes.map((n) => n.id).sort().join() === 'end-node,n0,start-node' &&
			/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(r.json?.closure?.[at] ?? ''),
		`GetWorkflow (${fl}): the compiled closure, ${at} an RFC 3339 string`, shown(r));
	}
	r = await call('json', 'POST', '/api/v1/launch_plans', M('CreateLaunchPlan').req, {
		id: rid('LAUNCH_PLAN', 'lp'),
		spec: { workflow_id: rid('WORKFLOW', 'wf'),
			default_inputs: { parameters: { x: { var: { type: intT }, default: { scalar: { primitive: { integer: '1' } } } } } },
			entity_metadata: { schedule: { rate: { value: 5, unit: 'MINUTE' } } } },
	});
	ok(r.status === 200, 'POST /api/v1/launch_plans with a fixed-rate schedule: 200', shown(r));
	r = await call('json', 'PUT', '/api/v1/launch_plans/rest-reg/development/lp/v1', M('UpdateLaunchPlan').req,
		{ id: rid('LAUNCH_PLAN', 'lp'), state: 'ACTIVE' });
	ok(r.status === 200, 'PUT /api/v1/launch_plans/.../v1 {state: ACTIVE}: 200', shown(r));
	r = await call('camel', 'GET', '/api/v1/active_launch_plans/rest-reg/development/lp');
	ok(r.status === 200 && r.json?.id?.version === 'v1' && r.json?.closure?.state === 'ACTIVE',
		'GET /api/v1/active_launch_plans/rest-reg/development/lp: v1, ACTIVE', shown(r));
	r = await call('json', 'GET', '/api/v1/launch_plans/rest-reg/development?limit=5&filters=eq(schedule_type,RATE)');
	ok(r.status === 200 && r.json?.launch_plans?.length === 1, 'ListLaunchPlans ?filters=eq(schedule_type,RATE): one', shown(r));
	r = await call('json', 'GET', '/api/v1/workflow_ids/rest-reg/development?limit=5');
	ok(r.status === 200 && r.json?.entities?.map((e) => e.name).join() === 'wf', 'GET /api/v1/workflow_ids: wf', shown(r));
}

// -- executions and events over REST (checklist rows 20-45, a subset) -------
// keeld runs with [executions] outbox_workers = 0 and cluster = c-a (see
// grpc_conformance.sh): phases move only with the events sent here.
const EFR = 'type.googleapis.com/flyteidl.admin.EventFailureReason';
// The first detail of an error response in flavour fl, as {type, msg}
// (msg in proto names), or null.
function detailOf(r, fl) {
	const EventFailureReason = T('flyteidl.admin.EventFailureReason');
	try {
		if (fl === 'binary') {
			const d = dec(Status, r.body).details?.[0];
			if (!d) return null;
			return { type: d.type_url, msg: d.type_url === EFR ? dec(EventFailureReason, Buffer.from(d.value, 'base64')) : null };
		}
		const d = r.json?.details?.[0];
		if (!d) return null;
		const { '@type': type, ...rest } = d;
		return { type, msg: type === EFR ? EventFailureReason.toObject(EventFailureReason.fromObject(fl === 'camel' ? toProtoNames(EventFailureReason, rest) : rest), { enums: String }) : null, raw: d };
	} catch (e) {
		return { type: '(undecodable)', msg: null, err: e.message };
	}
}
async function executions() {
	const P = 'rest-exe', D = 'development';
	const PD = { project: P, domain: D };
	const rid = (resource_type, name, version = 'v1') => ({ resource_type, ...PD, name, version });
	const eid = (name) => ({ ...PD, name });
	const intT = { simple: 'INTEGER' };
	const vars = (o) => ({ variables: Object.fromEntries(Object.entries(o).map(([k, t]) => [k, { type: t }])) });
	const lit = (i) => ({ scalar: { primitive: { integer: String(i) } } });
	const ts = (sec) => new Date((1767225600 + sec) * 1000).toISOString().replace('.000Z', 'Z');
	const X = `/api/v1/executions/${P}/${D}`;
	const Exec = M('GetExecution').res;
	const shapeOk = (r, fl, type) => (r.json === undefined ? ['body is not JSON'] : shape(type, r.json, fl === 'camel'));

	let r = await call('json', 'POST', '/api/v1/projects', M('RegisterProject').req, { project: { id: P, name: P } });
	ok(r.status === 200, `executions: project ${P}`, shown(r));
	r = await call('json', 'POST', '/api/v1/tasks', M('CreateTask').req, { id: rid('TASK', 'add'),
		spec: { template: { type: 'python-task', metadata: {}, container: { image: 'img:1' },
			interface: { inputs: vars({ a: intT, b: intT }), outputs: vars({ o0: intT }) } } } });
	ok(r.status === 200, 'executions: POST /api/v1/tasks add', shown(r));
	r = await call('json', 'POST', '/api/v1/workflows', M('CreateWorkflow').req, { id: rid('WORKFLOW', 'wf'),
		spec: { template: { interface: { inputs: vars({ x: intT }), outputs: vars({ o: intT }) },
			nodes: [{ id: 'n0', task_node: { reference_id: rid('TASK', 'add') },
				inputs: [{ var: 'a', binding: { promise: { node_id: 'start-node', var: 'x' } } }, { var: 'b', binding: lit(2) }] }],
			outputs: [{ var: 'o', binding: { promise: { node_id: 'n0', var: 'o0' } } }] } } });
	ok(r.status === 200, 'executions: POST /api/v1/workflows wf', shown(r));
	r = await call('json', 'POST', '/api/v1/launch_plans', M('CreateLaunchPlan').req, { id: rid('LAUNCH_PLAN', 'lp'),
		spec: { workflow_id: rid('WORKFLOW', 'wf'), default_inputs: { parameters: { x: { var: { type: intT }, default: lit(3) } } },
			labels: { values: { team: 'rest' } } } });
	ok(r.status === 200, 'executions: POST /api/v1/launch_plans lp (x defaults to 3, label team=rest)', shown(r));
	const createReq = (name, inputs = {}) => ({ ...PD, name, spec: { launch_plan: rid('LAUNCH_PLAN', 'lp') }, inputs: { literals: inputs } });

	// Create, in JSON and in binary; read back in each encoding.
	r = await call('json', 'POST', '/api/v1/executions', M('CreateExecution').req, createReq('r1', { x: lit(5) }));
	ok(r.status === 200 && r.json?.id?.name === 'r1' && r.json.id.project === P && shapeOk(r, 'json', M('CreateExecution').res).length === 0,
		'row 20: POST /api/v1/executions (json) r1: 200, an ExecutionCreateResponse naming r1', shown(r));
	r = await call('binary', 'POST', '/api/v1/executions', M('CreateExecution').req, createReq('r2'));
	let d = decoded(r, 'binary', M('CreateExecution').res);
	ok(d.problems.length === 0 && d.msg?.id?.name === 'r2', 'row 20: POST /api/v1/executions (binary) r2: 200, a binary ExecutionCreateResponse naming r2', shown(r), ...d.problems);
	r = await call('camel', 'POST', '/api/v1/executions', M('CreateExecution').req, { project: P, domain: D, spec: { launchPlan: rid('LAUNCH_PLAN', 'lp') } });
	ok(r.status === 200 && /^a[bcdfghjklmnpqrstvwxz2456789]{19}$/.test(r.json?.id?.name ?? ''),
		'row 20: POST /api/v1/executions (camel JSON, no name): a generated 20-character name', shown(r));
	r = await call('binary', 'GET', `${X}/r2`);
	d = decoded(r, 'binary', Exec);
	ok(d.problems.length === 0 && d.msg?.id?.name === 'r2' && d.msg.closure?.phase === 'UNDEFINED'
		&& d.msg.closure.state_change_details?.state === 'EXECUTION_ACTIVE' && d.msg.spec?.metadata?.principal === 'anonymous',
	`row 20: GET ${X}/r2 (binary): phase UNDEFINED, state ACTIVE, principal anonymous`, shown(r), ...d.problems);
	r = await call('json', 'GET', `${X}/r1`);
	let pr = shapeOk(r, 'json', Exec);
	ok(r.status === 200 && pr.length === 0 && r.json.closure.phase === 'UNDEFINED' && r.json.spec.launch_plan.name === 'lp'
		&& /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(r.json.closure.created_at ?? '') && r.json.spec.labels?.values?.team === 'rest',
	`row 20: GET ${X}/r1 (json): an Execution in proto names, created_at RFC 3339, the launch plan's label`, shown(r), ...pr);
	r = await call('camel', 'GET', `${X}/r1`);
	pr = shapeOk(r, 'camel', Exec);
	ok(r.status === 200 && pr.length === 0 && r.json.closure.stateChangeDetails?.state === 'EXECUTION_ACTIVE'
		&& r.json.spec.metadata.systemMetadata?.executionCluster === 'c-a',
	`row 20: GET ${X}/r1 (Accept */*): lowerCamelCase (closure.stateChangeDetails, spec.metadata.systemMetadata.executionCluster c-a)`, shown(r), ...pr);
	r = await call('binary', 'POST', '/api/v1/executions', M('CreateExecution').req, createReq('a_b'));
	expectError(r, 'binary', 400, 3, 'invalid name format', 'row 21: name a_b (binary): 400, code 3 "invalid name format"');
	r = await call('json', 'POST', '/api/v1/executions', M('CreateExecution').req, createReq('r-bad', { zz: lit(1) }));
	expectError(r, 'json', 400, 3, 'invalid input zz', 'row 22: an undeclared input zz: 400 "invalid input zz"');
	r = await call('json', 'GET', `${X}/nope`);
	expectError(r, 'json', 404, 5, null, `GET ${X}/nope: 404, code 5`);

	// Data.
	r = await call('json', 'GET', `/api/v1/data/executions/${P}/${D}/r1`);
	ok(r.status === 200 && r.json?.full_inputs?.literals?.x?.scalar?.primitive?.integer === '5'
		&& r.json?.inputs == null && shapeOk(r, 'json', M('GetExecutionData').res).length === 0,
	`row 22: GET /api/v1/data/executions/${P}/${D}/r1: full_inputs x=5 (an int64 as a string), kept in the row until the launch`, shown(r));
	r = await call('binary', 'GET', `/api/v1/data/executions/${P}/${D}/r2`);
	d = decoded(r, 'binary', M('GetExecutionData').res);
	ok(d.problems.length === 0 && d.msg?.full_inputs?.literals?.x?.scalar?.primitive?.integer === '3',
		'row 22: the same for r2 in binary: the default x=3 in full_inputs', shown(r), ...d.problems);

	// A refused duplicate must leave the stored execution alone.
	r = await call('json', 'POST', '/api/v1/executions', M('CreateExecution').req, createReq('r1', { x: lit(9) }));
	expectError(r, 'json', 409, 6, 'r1', 'row 21: POST /api/v1/executions r1 again (x=9): 409, code 6 naming r1');
	r = await call('json', 'GET', `/api/v1/data/executions/${P}/${D}/r1`);
	ok(r.status === 200 && r.json?.full_inputs?.literals?.x?.scalar?.primitive?.integer === '5',
		'row 21: the refused duplicate left r1\'s stored inputs as they were (x=5, not 9)', shown(r));

	// List, archive.
	const listNames = (x) => (x.json?.executions ?? []).map((e) => e.id.name).sort();
	r = await call('json', 'GET', `${X}?limit=100&filters=${encodeURIComponent('eq(execution_tag.key,team)+eq(execution_tag.value,rest)')}`);
	ok(r.status === 200 && ['r1', 'r2'].every((x) => listNames(r).includes(x)) && listNames(r).length === 3,
		`row 26: GET ${X}?limit=100&filters=eq(execution_tag.key,team)%2Beq(execution_tag.value,rest): the three executions`, shown(r), `names: ${listNames(r)}`);
	// The token is opaque (Keel's is a cursor, not Flyte Admin's offset): follow it.
	const pageQ = `limit=1&sort_by.key=execution_name&sort_by.direction=ASCENDING&filters=value_in(execution_name,r1%3Br2)`;
	r = await call('json', 'GET', `${X}?${pageQ}`);
	const tok = r.json?.token ?? '';
	ok(r.status === 200 && js(listNames(r)) === js(['r1']) && tok !== '',
		'ListExecutions limit=1, sort_by execution_name ASCENDING, value_in(execution_name,r1;r2): r1 and a token', shown(r));
	r = await call('json', 'GET', `${X}?${pageQ}&token=${encodeURIComponent(tok)}`);
	ok(r.status === 200 && js(listNames(r)) === js(['r2']), 'and with that token: r2', shown(r));
	r = await call('json', 'GET', `${X}?limit=0`);
	expectError(r, 'json', 400, 3, 'limit', 'ListExecutions limit=0: 400 naming limit');
	r = await call('json', 'PUT', `${X}/r1`, M('UpdateExecution').req, { state: 'EXECUTION_ARCHIVED' });
	ok(r.status === 200 && js(r.json) === '{}', `row 31: PUT ${X}/r1 {state: EXECUTION_ARCHIVED} (the id from the path): 200 {}`, shown(r));
	r = await call('json', 'GET', `${X}?limit=100&filters=eq(execution_name,r1)`);
	ok(r.status === 200 && listNames(r).length === 0, 'row 31: r1 is hidden from the list', shown(r));
	r = await call('json', 'GET', `${X}?limit=100&filters=eq(state,1)`);
	ok(r.status === 200 && js(listNames(r)) === js(['r1']), 'row 31: and listed with filters=eq(state,1)', shown(r));
	r = await call('json', 'PUT', `${X}/r1`, M('UpdateExecution').req, { id: eid('r2'), state: 'EXECUTION_ACTIVE' });
	expectError(r, 'json', 400, 3, ['r1', 'r2'], `PUT ${X}/r1 with body id r2: 400 naming both`);

	// Terminate.
	r = await call('json', 'DELETE', `${X}/r2`, M('TerminateExecution').req, { cause: 'stop it' });
	ok(r.status === 200 && js(r.json) === '{}', `row 30: DELETE ${X}/r2 {cause: "stop it"}: 200 {}`, shown(r));
	r = await call('json', 'GET', `${X}/r2`);
	ok(r.status === 200 && r.json?.closure?.phase === 'ABORTING' && r.json.closure.abort_metadata?.cause === 'stop it'
		&& r.json.closure.abort_metadata.principal === 'anonymous',
	'row 30: r2 ABORTING with abort_metadata {cause, principal}', shown(r));
	r = await call('json', 'DELETE', `${X}/nope`, M('TerminateExecution').req, { cause: 'x' });
	expectError(r, 'json', 404, 5, null, `row 30: DELETE ${X}/nope: 404`);

	// Relaunch, recover.
	r = await call('json', 'POST', '/api/v1/executions/relaunch', M('RelaunchExecution').req, { id: eid('r1'), name: 'r1-re' });
	ok(r.status === 200 && r.json?.id?.name === 'r1-re', 'row 28: POST /api/v1/executions/relaunch r1 as r1-re: 200', shown(r));
	r = await call('json', 'GET', `${X}/r1-re`);
	ok(r.status === 200 && r.json?.spec?.metadata?.mode === 'RELAUNCH' && r.json.spec.metadata.reference_execution?.name === 'r1',
		'row 28: r1-re: mode RELAUNCH, reference_execution r1', shown(r));
	r = await call('binary', 'POST', '/api/v1/executions/recover', M('RecoverExecution').req, { id: eid('r1'), name: 'r1-rec' });
	d = decoded(r, 'binary', M('RecoverExecution').res);
	ok(d.problems.length === 0 && d.msg?.id?.name === 'r1-rec', 'row 29: POST /api/v1/executions/recover (binary) r1 as r1-rec: 200', shown(r), ...d.problems);
	r = await call('json', 'GET', `${X}/r1-rec`);
	ok(r.status === 200 && r.json?.spec?.metadata?.mode === 'RECOVERED', 'row 29: r1-rec: mode RECOVERED', shown(r));

	// Workflow events, with the EventFailureReason detail in every encoding.
	const wfev = (fl, name, phase, sec, extra = {}) => call(fl, 'POST', '/api/v1/events/workflows', M('CreateWorkflowEvent').req,
		{ event: { execution_id: eid(name), phase, occurred_at: fl === 'binary' ? { seconds: String(1767225600 + sec) } : ts(sec), ...extra } });
	r = await call('json', 'POST', '/api/v1/executions', M('CreateExecution').req, createReq('r3'));
	ok(r.status === 200, 'rows 33-37: create r3', shown(r));
	r = await wfev('json', 'r3', 'RUNNING', 10);
	ok(r.status === 200 && js(r.json) === '{}', 'row 33: POST /api/v1/events/workflows r3 RUNNING (occurred_at RFC 3339): 200 {}', shown(r));
	r = await wfev('json', 'r3', 'RUNNING', 11);
	expectError(r, 'json', 409, 6, 'already recorded', 'row 33: RUNNING twice: 409, code 6');
	r = await wfev('camel', 'r3', 'QUEUED', 12);
	expectError(r, 'camel', 400, 9, 'RUNNING to QUEUED', 'row 33: RUNNING -> QUEUED: 400, code 9 FAILED_PRECONDITION');
	r = await wfev('binary', 'r3', 'SUCCEEDED', 40, { output_uri: 's3://bucket/r3/outputs.pb' });
	d = decoded(r, 'binary', M('CreateWorkflowEvent').res);
	ok(d.problems.length === 0 && r.body.length === 0, 'row 33: r3 SUCCEEDED (binary): 200, an empty response', shown(r), ...d.problems);
	r = await call('json', 'GET', `${X}/r3`);
	ok(r.status === 200 && r.json?.closure?.phase === 'SUCCEEDED' && r.json.closure.started_at === ts(10) && r.json.closure.duration === '30s'
		&& r.json.closure.outputs?.uri === 's3://bucket/r3/outputs.pb',
	'row 37: r3: started_at from RUNNING, duration "30s", outputs.uri as sent', shown(r));
	for (const fl of ['json', 'camel', 'binary']) {
		r = await wfev(fl, 'r3', 'RUNNING', 50);
		expectError(r, fl, 400, 9, 'Invalid phase change from SUCCEEDED to RUNNING', `row 33: SUCCEEDED -> RUNNING (${fl}): 400, code 9`);
		const det = detailOf(r, fl);
		ok(det?.type === EFR && det.msg?.already_in_terminal_state?.current_phase === 'SUCCEEDED',
			`row 33: its details (${fl}): one EventFailureReason, already_in_terminal_state SUCCEEDED`, shown(r), `detail: ${js(det)}`);
	}
	r = await call('json', 'GET', '/api/v1/data/executions/rest-exe/development/r3');
	ok(r.status === 200 && r.json?.full_outputs === null && r.json?.full_inputs?.literals?.x !== undefined,
		'GET /api/v1/data/executions/.../r3, its output_uri outside the blob store: still 200, full_inputs, no full_outputs', shown(r));
	r = await call('json', 'DELETE', `${X}/r3`, M('TerminateExecution').req, { cause: 'too late' });
	expectError(r, 'json', 400, 9, 'already terminated', `row 30: DELETE ${X}/r3 (SUCCEEDED): 400, code 9 "already terminated"`);
	let det = detailOf(r, 'json');
	ok(det?.type === EFR && det.msg?.already_in_terminal_state?.current_phase === 'SUCCEEDED',
		'row 30: with an EventFailureReason detail (already_in_terminal_state SUCCEEDED)', shown(r), `detail: ${js(det)}`);
	r = await wfev('json', 'r2', 'RUNNING', 2);
	expectError(r, 'json', 400, 9, 'from aborting', 'row 35: r2 (ABORTING) RUNNING: 400, code 9');
	r = await wfev('json', 'r2', 'ABORTED', 3);
	ok(r.status === 200, 'row 35: r2 ABORTED: 200', shown(r));
	r = await wfev('json', 'r1-re', 'RUNNING', 2, { producer_id: 'c-b' });
	expectError(r, 'json', 400, 9, 'c-b', 'row 34: RUNNING from producer c-b: 400, code 9 naming c-b');
	det = detailOf(r, 'json');
	ok(det?.type === EFR && det.msg?.incompatible_cluster?.cluster === 'c-b', 'row 34: with an EventFailureReason detail (incompatible_cluster c-b)',
		shown(r), `detail: ${js(det)}`);

	// Node and task events.
	r = await call('json', 'POST', '/api/v1/executions', M('CreateExecution').req, createReq('r4'));
	ok(r.status === 200, 'rows 38-45: create r4', shown(r));
	const nid = (node) => ({ node_id: node, execution_id: eid('r4') });
	const nev = (fl, node, phase, sec, extra = {}) => call(fl, 'POST', '/api/v1/events/nodes', M('CreateNodeEvent').req,
		{ event: { id: nid(node), phase, occurred_at: fl === 'binary' ? { seconds: String(1767225600 + sec) } : ts(sec), ...extra } });
	r = await nev('json', 'n0', 'RUNNING', 1);
	ok(r.status === 200 && js(r.json) === '{}', 'row 38: POST /api/v1/events/nodes r4/n0 RUNNING: 200 {}', shown(r));
	r = await nev('binary', 'n0', 'RUNNING', 2);
	expectError(r, 'binary', 409, 6, null, 'row 39: n0 RUNNING twice (binary): 409, code 6');
	r = await nev('camel', 'n0-0-c', 'RUNNING', 2, { parentNodeMetadata: { nodeId: 'n0' } });
	ok(r.status === 200, 'row 40: n0-0-c, a child of n0 (camel JSON): 200', shown(r));
	const tid = rid('TASK', 'add');
	const tev = (fl, retry, phase, version, sec, extra = {}) => call(fl, 'POST', '/api/v1/events/tasks', M('CreateTaskEvent').req,
		{ event: { task_id: tid, parent_node_execution_id: nid('n0'), retry_attempt: retry, phase, phase_version: version,
			occurred_at: fl === 'binary' ? { seconds: String(1767225600 + sec) } : ts(sec), ...extra } });
	r = await tev('json', 0, 'QUEUED', 0, 2, { logs: [{ uri: 'l1', name: 'a' }, { uri: 'l2', name: 'b', ShowWhilePending: true }] });
	ok(r.status === 200 && js(r.json) === '{}', 'row 43: POST /api/v1/events/tasks attempt 0 QUEUED with two logs: 200 {}', shown(r));
	r = await tev('json', 0, 'QUEUED', 0, 2);
	expectError(r, 'json', 409, 6, null, 'row 43: the same phase and version: 409, code 6');
	const TX = `/api/v1/task_executions/${P}/${D}/r4/n0`;
	r = await call('json', 'GET', `${TX}/${P}/${D}/add/v1/0`);
	ok(r.status === 200 && r.json?.closure?.phase === 'QUEUED' && js(r.json.closure.logs.map((l) => l.uri)) === js(['l2'])
		&& r.json.closure.logs[0].ShowWhilePending === true && shapeOk(r, 'json', M('GetTaskExecution').res).length === 0,
	`row 44: GET ${TX}/${P}/${D}/add/v1/0: QUEUED, only the ShowWhilePending log l2`, shown(r));
	r = await tev('binary', 0, 'RUNNING', 0, 3, { logs: [{ uri: 'l1', name: 'a', HideOnceFinished: true }, { uri: 'l2', name: 'b' }] });
	ok(r.status === 200, 'row 43: attempt 0 RUNNING (binary): 200', shown(r));
	r = await tev('json', 0, 'SUCCEEDED', 0, 6, { output_uri: 's3://bucket/n0/0/outputs.pb' });
	ok(r.status === 200, 'row 43: attempt 0 SUCCEEDED: 200', shown(r));
	r = await call('binary', 'GET', `${TX}/${P}/${D}/add/v1/0`);
	d = decoded(r, 'binary', M('GetTaskExecution').res);
	ok(d.problems.length === 0 && d.msg?.closure?.phase === 'SUCCEEDED' && js(d.msg.closure.logs.map((l) => l.uri)) === js(['l2'])
		&& d.msg.closure.duration?.seconds === '3',
	'row 44: the same in binary: SUCCEEDED dropped the HideOnceFinished log l1; duration 3 s', shown(r), ...d.problems);
	r = await tev('json', 0, 'RUNNING', 1, 7);
	expectError(r, 'json', 400, 9, 'SUCCEEDED', 'row 43: RUNNING after SUCCEEDED: 400, code 9');
	det = detailOf(r, 'json');
	ok(det?.type === EFR && det.msg?.already_in_terminal_state?.current_phase === 'SUCCEEDED',
		'row 43: with an EventFailureReason detail (already_in_terminal_state SUCCEEDED)', shown(r), `detail: ${js(det)}`);
	r = await tev('json', 1, 'RUNNING', 0, 8);
	ok(r.status === 200, 'row 45: retry attempt 1 RUNNING: 200', shown(r));
	r = await call('json', 'GET', `${TX}?limit=10`);
	ok(r.status === 200 && js((r.json?.task_executions ?? []).map((t) => t.id.retry_attempt).sort()) === js([0, 1]),
		`row 45: GET ${TX}?limit=10: attempts 0 and 1`, shown(r));
	r = await call('json', 'GET', `/api/v1/data/task_executions/${P}/${D}/r4/n0/${P}/${D}/add/v1/1`);
	ok(r.status === 200 && shapeOk(r, 'json', M('GetTaskExecutionData').res).length === 0, 'GET /api/v1/data/task_executions/.../1: 200, a TaskExecutionGetDataResponse', shown(r));
	r = await call('json', 'GET', `/api/v1/children/task_executions/${P}/${D}/r4/n0/${P}/${D}/add/v1/0?limit=10`);
	ok(r.status === 200 && js(r.json?.node_executions) === '[]', 'GET /api/v1/children/task_executions/.../0?limit=10: no child nodes', shown(r));

	const NX = `/api/v1/node_executions/${P}/${D}/r4`;
	r = await call('json', 'GET', `${NX}/n0`);
	ok(r.status === 200 && r.json?.closure?.phase === 'RUNNING' && r.json.id?.node_id === 'n0' && shapeOk(r, 'json', M('GetNodeExecution').res).length === 0,
		`row 38: GET ${NX}/n0: a NodeExecution, RUNNING`, shown(r));
	r = await call('json', 'GET', `${NX}?limit=10`);
	ok(r.status === 200 && js((r.json?.node_executions ?? []).map((x) => x.id.node_id)) === js(['n0']), `row 40: GET ${NX}?limit=10: the top level only (n0)`, shown(r));
	r = await call('json', 'GET', `${NX}?limit=10&unique_parent_id=n0`);
	ok(r.status === 200 && js((r.json?.node_executions ?? []).map((x) => x.id.node_id)) === js(['n0-0-c']), 'row 40: with unique_parent_id=n0: n0-0-c', shown(r));
	r = await call('json', 'GET', `${NX}/n0/dynamic_workflow`);
	expectError(r, 'json', 404, 5, null, `row 41: GET ${NX}/n0/dynamic_workflow: 404 (not a dynamic node)`);
	r = await call('json', 'GET', `/api/v1/data/node_executions/${P}/${D}/r4/n0`);
	ok(r.status === 200 && shapeOk(r, 'json', M('GetNodeExecutionData').res).length === 0, `GET /api/v1/data/node_executions/${P}/${D}/r4/n0: 200`, shown(r));
	r = await call('json', 'GET', `/api/v1/metrics/executions/${P}/${D}/r4?depth=3`);
	ok(r.status === 200 && r.json?.span?.workflow_id?.name === 'r4', `GET /api/v1/metrics/executions/${P}/${D}/r4?depth=3: a span for the workflow`, shown(r));
}

// -- every binding of a method Keel does not implement yet -----------------
const IMPLEMENTED = new Set(['GetVersion', 'GetDomains', 'ListProjects', 'RegisterProject', 'UpdateProject', 'GetProject',
	'CreateTask', 'GetTask', 'ListTasks', 'ListTaskIds', 'GetNamedEntity', 'UpdateNamedEntity',
	'ListNamedEntities', 'GetDescriptionEntity', 'ListDescriptionEntities',
	'CreateWorkflow', 'GetWorkflow', 'ListWorkflows', 'ListWorkflowIds',
	'CreateLaunchPlan', 'UpdateLaunchPlan', 'GetLaunchPlan', 'GetActiveLaunchPlan',
	'ListLaunchPlans', 'ListActiveLaunchPlans', 'ListLaunchPlanIds',
	'CreateExecution', 'RelaunchExecution', 'RecoverExecution', 'GetExecution', 'ListExecutions',
	'UpdateExecution', 'TerminateExecution', 'GetExecutionData', 'GetExecutionMetrics',
	'CreateWorkflowEvent', 'CreateNodeEvent', 'CreateTaskEvent', 'GetNodeExecution', 'ListNodeExecutions',
	'ListNodeExecutionsForTask', 'GetNodeExecutionData', 'GetDynamicNodeWorkflow', 'GetTaskExecution',
	'ListTaskExecutions', 'GetTaskExecutionData',
	'GetOrCreateSignal', 'ListSignals', 'SetSignal']);
function sampleFor(type, fieldPath) {
	let t = type, f = null;
	for (const part of fieldPath.split('.')) {
		f = t?.fields[part];
		if (!f) return 'x';
		t = f.resolvedType;
	}
	if (f.resolvedType instanceof protobuf.Enum) return Object.keys(f.resolvedType.values)[1] ?? Object.keys(f.resolvedType.values)[0];
	if (INT32.has(f.type) || INT64.has(f.type)) return '1';
	if (f.type === 'bool') return 'true';
	return 'x';
}
async function unimplemented() {
	let tried = 0;
	for (const b of idlBindings) {
		const m = b.method;
		if (['AdminService', 'SignalService'].includes(m.service) && IMPLEMENTED.has(m.name)) continue;
		const path = b.path.replace(/\{([^}=]+)(=[^}]*)?\}/g, (_, v) => encodeURIComponent(sampleFor(m.req, v)));
		const r = await request({ method: b.verb, path, headers: { 'Content-Type': JSONT, Accept: JSONT },
			body: b.body ? '{}' : undefined });
		expectError(r, 'json', 501, 12, m.name, `${b.verb} ${path}: 501, code 12 naming ${m.name}`);
		tried++;
	}
	diag(`${tried} bindings of unimplemented methods tried`);
}

// -- request ids -----------------------------------------------------------
async function requestIds() {
	const rid = `keel-rest-${process.pid}-${Date.now()}`;
	let r = await request({ path: '/api/v1/version', headers: { Accept: JSONT, 'X-Request-Id': rid } });
	ok(r.status === 200 && r.headers['x-request-id'] === rid, 'X-Request-Id sent is echoed', shown(r), `X-Request-Id: ${r.headers['x-request-id']}`);
	r = await request({ path: '/api/v1/projects/rest-nope', headers: { Accept: JSONT, 'X-Request-Id': `${rid}-err` } });
	ok(r.status === 404 && r.headers['x-request-id'] === `${rid}-err`, 'and on an error response too', shown(r), `X-Request-Id: ${r.headers['x-request-id']}`);
	r = await request({ path: '/api/v1/nope', headers: { Accept: JSONT, 'X-Request-Id': `${rid}-404` } });
	ok(r.status === 404 && r.headers['x-request-id'] === `${rid}-404`, 'and on a 404 for an unknown path', shown(r), `X-Request-Id: ${r.headers['x-request-id']}`);
	r = await request({ path: '/api/v1/version', headers: { Accept: JSONT } });
	ok(r.status === 200 && /^a-[A-Za-z0-9]+$/.test(r.headers['x-request-id'] ?? ''), 'without one, a made-up X-Request-Id "a-..." comes back',
		`X-Request-Id: ${r.headers['x-request-id']}`);
	const other = await request({ path: '/api/v1/version', headers: { Accept: JSONT } });
	ok(other.headers['x-request-id'] !== r.headers['x-request-id'], 'a different one for the next request',
		`${r.headers['x-request-id']} then ${other.headers['x-request-id']}`);
	for (const [bad, what] of [['a b', 'with a space'], ['x'.repeat(200), '200 bytes long'], ['id"<script>', 'with quotes and <']]) {
		r = await request({ path: '/api/v1/version', headers: { Accept: JSONT, 'X-Request-Id': bad } });
		ok(r.status === 200 && /^a-[A-Za-z0-9]+$/.test(r.headers['x-request-id'] ?? ''), `an X-Request-Id ${what} is replaced by a made-up "a-..."`,
			shown(r), `X-Request-Id: ${r.headers['x-request-id']}`);
	}
}

// -- the OpenAPI document --------------------------------------------------
async function openapi() {
	const r = await request({ path: '/api/v1/openapi' });
	let doc = null;
	try { doc = JSON.parse(r.body.toString('utf8')); } catch { /* below */ }
	ok(r.status === 200 && mediaIs(r, JSONT) && doc?.swagger === '2.0', 'GET /api/v1/openapi: 200, application/json, swagger "2.0"', shown(r));
	if (!doc?.paths) return;
	const ops = Object.entries(doc.paths).flatMap(([p, v]) => Object.keys(v).filter((k) => k !== 'parameters').map((verb) => `${verb.toUpperCase()} ${p}`));
	const want = (genTable ?? idlBindings).map((b) => `${b.verb} ${b.path}`);
	ok(ops.length === want.length, `the document has ${want.length} operations, one for every binding${genTable ? ' of gen/rest_bindings.c' : ''}`,
		`paths x verbs: ${ops.length}`);
	const missing = want.filter((w) => !ops.includes(w));
	ok(missing.length === 0, 'every binding\'s verb and template is a path entry', `missing: ${missing.join('; ')}`);
	const lp = doc.paths['/api/v1/projects']?.get;
	const names = (lp?.parameters ?? []).map((p) => `${p.in}:${p.name}`);
	ok(['query:limit', 'query:token', 'query:filters', 'query:sort_by.key', 'query:sort_by.direction'].every((x) => names.includes(x)),
		'GET /api/v1/projects documents limit, token, filters, sort_by.key, sort_by.direction as query parameters', `parameters: ${names.join(' ')}`);
	const gp = doc.paths['/api/v1/projects/{id}']?.get;
	ok((gp?.parameters ?? []).some((p) => p.in === 'path' && p.name === 'id' && p.required === true),
		'GET /api/v1/projects/{id} documents the path parameter id (required)', js(gp?.parameters));
	const opIds = Object.values(doc.paths).flatMap((v) => Object.values(v)).map((o) => o.operationId).filter(Boolean);
	ok(opIds.length === want.length && new Set(opIds).size === opIds.length, 'every operation has an operationId, all distinct',
		`${opIds.length} ids, ${new Set(opIds).size} distinct`);
	const rh = await request({ method: 'HEAD', path: '/api/v1/openapi' });
	ok(rh.status === 200 && rh.body.length === 0, 'HEAD /api/v1/openapi: 200, no body', shown(rh));
}

// -- bodies: lengths, chunking, 100-continue, keep-alive --------------------
async function bodies() {
	const Reg = M('RegisterProject');
	const req = (extra = '') => `POST /api/v1/projects HTTP/1.1\r\nHost: ${address}\r\nContent-Type: application/json\r\n${extra}`;

	// Keep-alive: several requests on one connection.
	const rs = [];
	for (let i = 0; i < 3; i++) rs.push(await request({ path: '/api/v1/version', headers: { Accept: JSONT }, agent: keepAlive }));
	ok(rs.every((r) => r.status === 200) && rs[1].reused && rs[2].reused && rs[0].socket === rs[2].socket,
		'three requests on one kept-alive connection', rs.map(shown).join(' | '), `reused: ${rs.map((r) => r.reused)}`);

	// Chunked bodies are refused, never read as empty.
	let r = await request({ method: 'POST', path: '/api/v1/projects', headers: { 'Content-Type': JSONT }, chunked: true,
		body: { project: { id: 'rest-chunked', name: 'Chunked' } } });
	expectError(r, 'json', 411, 3, 'Content-Length', 'a chunked POST (Transfer-Encoding: chunked, no Content-Length): 411 asking for Content-Length');
	ok(r.headers.connection === 'close', 'and Connection: close', `Connection: ${r.headers.connection}`);
	let x = await raw(`${req('Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n')}0\r\n\r\n`, { keep: true });
	ok(x.status === 411, 'Transfer-Encoding: chunked with a Content-Length too: 411', rawShown(x));
	ok(await closedWithin(x.sock, 3000), 'and the connection is closed');
	x.sock.destroy();
	r = await call('json', 'GET', '/api/v1/projects/rest-chunked');
	ok(r.status === 404, 'rest-chunked was not registered', shown(r));

	// Expect: 100-continue.
	const body = Buffer.from(js({ project: { id: 'rest-continue', name: 'Continue' } }));
	r = await request({ method: 'POST', path: '/api/v1/projects', headers: { 'Content-Type': JSONT }, body, expectContinue: true });
	ok(r.continued && r.status === 200, 'Expect: 100-continue: "100 Continue", then the body, then 200', shown(r), `continued: ${r.continued}`);
	r = await call('json', 'GET', '/api/v1/projects/rest-continue');
	ok(r.status === 200, 'rest-continue was registered', shown(r));

	// Content-Length that is not one.
	for (const [cl, what] of [['abc', 'letters'], ['-5', 'negative'], ['5 5', 'two numbers'], ['0x10', 'hex']]) {
		x = await raw(`${req(`Content-Length: ${cl}\r\n\r\n`)}{}`);
		ok(x.status === 400, `Content-Length: ${cl} (${what}): 400`, rawShown(x));
	}
	x = await raw(`${req('Content-Length: 2\r\nContent-Length: 40\r\n\r\n')}{}`);
	ok(x.status === 400, 'two different Content-Length headers: 400', rawShown(x));
	await alive('the server still answers after the bad Content-Lengths');

	// Over the limit: refused before the body is read.
	const over = maxBody + 1;
	x = await raw(req(`Content-Length: ${over}\r\n\r\n`), { keep: true });
	ok(x.status === 413 && x.ms < 5000, `Content-Length: ${over} (max_body_size + 1), no body sent: 413 at once`, rawShown(x), `after ${x.ms} ms`);
	ok(x.json?.code === 8 && String(x.json?.message).includes(String(maxBody)), 'code 8 RESOURCE_EXHAUSTED naming the limit', rawShown(x));
	const closed = await closedWithin(x.sock, 3000);
	ok(closed, 'and the connection is closed');
	x.sock.destroy();
	if (maxBody <= 1024 * 1024) {
		// A client that sends its whole body anyway still reads the 413.
		r = await request({ method: 'POST', path: '/api/v1/projects', headers: { 'Content-Type': JSONT },
			body: js({ project: { id: 'rest-big', name: 'Big', description: 'd'.repeat(maxBody) } }) });
		ok(r.status === 413, `a ${maxBody + 50}-byte JSON body sent whole: 413 reaches the client`, shown(r));
		r = await request({ method: 'POST', path: '/api/v1/projects', headers: { 'Content-Type': JSONT },
			body: js({ project: { id: 'rest-big', name: 'Big', description: 'd'.repeat(maxBody) } }), expectContinue: true });
		ok(r.status === 413 && !r.continued, `the same with Expect: 100-continue: 413 without "100 Continue"`, shown(r), `continued: ${r.continued}`);
		// Just under it: reaches the service, which refuses the description.
		const under = js({ project: { id: 'rest-big', name: 'Big', description: 'd'.repeat(maxBody - 200) } });
		r = await request({ method: 'POST', path: '/api/v1/projects', headers: { 'Content-Type': JSONT }, body: under });
		expectError(r, 'json', 400, 3, 'cannot exceed 300 characters', `a ${under.length}-byte body (under the limit): reaches the service (400 for the description)`);
		r = await call('json', 'GET', '/api/v1/projects/rest-big');
		ok(r.status === 404, 'rest-big was not registered', shown(r));
	} else {
		skip('a body over the limit sent whole still gets its 413', `max_body_size ${maxBody} is large; pass --max-body <= 1 MiB`);
	}
	await alive('the server still answers after the oversized bodies');
}

// -- a slow client does not hold up the others --------------------------------
async function slowClient() {
	const head = `POST /api/v1/projects HTTP/1.1\r\nHost: ${address}\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"`;
	const slowP = raw(head, { keep: true, timeout: bodyTimeout + 10000 });
	const t0 = Date.now();
	await new Promise((res) => setTimeout(res, 100));
	const r = await request({ path: '/api/v1/projects/rest-bin', headers: { Accept: JSONT } });
	const t1 = Date.now() - t0;
	ok(r.status === 200 && r.json?.id === 'rest-bin', 'while a client sits on a 10-byte body after 2 bytes, a request on another connection is answered',
		shown(r), `after ${t1} ms`);
	ok(t1 < bodyTimeout, `and without waiting for the slow one (${t1} ms < body_timeout ${bodyTimeout} ms)`);
	if (bodyTimeout > 5000) {
		skip('the slow client gets 408 after [http] body_timeout', `body_timeout ${bodyTimeout} ms is long; pass --body-timeout <= 5000`);
		slowP.sock.destroy();
		await slowP;
		return;
	}
	const x = await slowP;
	ok(x.status === 408 && x.ms >= bodyTimeout - 100 && x.ms < bodyTimeout + 5000,
		`the slow client gets 408 after body_timeout (${bodyTimeout} ms)`, rawShown(x), `after ${x.ms} ms`);
	ok(x.json?.code === 4, 'with code 4 DEADLINE_EXCEEDED', rawShown(x));
	ok(await closedWithin(x.sock, 3000), 'and its connection is closed');
	x.sock.destroy();
	// Headers only, nothing of the body.
	const y = await raw(`POST /api/v1/projects HTTP/1.1\r\nHost: ${address}\r\nContent-Length: 5\r\n\r\n`, { keep: true, timeout: bodyTimeout + 10000 });
	ok(y.status === 408, 'a client that sends no byte of its body: 408 too', rawShown(y), `after ${y.ms} ms`);
	y.sock.destroy();
	await alive('the server still answers after the slow clients');
}

// -- CORS ------------------------------------------------------------------------
async function cors() {
	const pre = (origin, method = 'POST') => request({ method: 'OPTIONS', path: '/api/v1/projects',
		headers: { Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': 'content-type, flyte-authorization' } });
	if (corsOrigin === null) {
		const r = await request({ path: '/api/v1/version', headers: { Accept: JSONT, Origin: 'http://console.example' } });
		ok(r.status === 200 && !('access-control-allow-origin' in r.headers), 'CORS off: no Access-Control-Allow-Origin', shown(r));
		skip('CORS with an allowed origin', 'no --cors-origin');
		return;
	}
	let r = await pre(corsOrigin);
	ok(r.status === 204 && r.headers['access-control-allow-origin'] === corsOrigin,
		`preflight OPTIONS from ${corsOrigin}: 204, Access-Control-Allow-Origin echoed`, shown(r), js(r.headers));
	ok(r.headers['access-control-allow-credentials'] === 'true', 'with Access-Control-Allow-Credentials: true (the console sends credentials)', js(r.headers));
	const methodsOk = (r.headers['access-control-allow-methods'] ?? '').split(/\s*,\s*/);
	ok(['GET', 'POST', 'PUT', 'DELETE'].every((m) => methodsOk.includes(m)), 'Access-Control-Allow-Methods has GET, POST, PUT, DELETE',
		`Access-Control-Allow-Methods: ${r.headers['access-control-allow-methods']}`);
	const hdrs = (r.headers['access-control-allow-headers'] ?? '').toLowerCase().split(/\s*,\s*/);
	ok(['content-type', 'flyte-authorization'].every((h) => hdrs.includes(h)), 'Access-Control-Allow-Headers has Content-Type and flyte-authorization',
		`Access-Control-Allow-Headers: ${r.headers['access-control-allow-headers']}`);
	ok(/^\d+$/.test(r.headers['access-control-max-age'] ?? ''), 'and an Access-Control-Max-Age', js(r.headers));
	r = await pre('http://evil.example');
	ok(r.status === 403 && !('access-control-allow-origin' in r.headers), 'preflight from another origin: 403, no Access-Control-Allow-Origin', shown(r), js(r.headers));
	r = await pre(`${corsOrigin}.evil.example`);
	ok(r.status === 403, 'preflight from an origin that merely starts with the allowed one: 403', shown(r));
	r = await request({ path: '/api/v1/version', headers: { Accept: JSONT, Origin: corsOrigin } });
	ok(r.status === 200 && r.headers['access-control-allow-origin'] === corsOrigin && /origin/i.test(r.headers.vary ?? ''),
		'a GET with the allowed Origin: Access-Control-Allow-Origin echoed, Vary: Origin', shown(r), js(r.headers));
	ok(/x-request-id/i.test(r.headers['access-control-expose-headers'] ?? ''), 'and X-Request-Id exposed to the page', js(r.headers));
	r = await request({ path: '/api/v1/projects/rest-nope', headers: { Accept: BIN, Origin: corsOrigin } });
	ok(r.status === 404 && r.headers['access-control-allow-origin'] === corsOrigin, 'an error response to the allowed Origin carries it too (the page can read the error)',
		shown(r), js(r.headers));
	r = await request({ path: '/api/v1/version', headers: { Accept: JSONT, Origin: 'http://evil.example' } });
	ok(r.status === 200 && !('access-control-allow-origin' in r.headers), 'a GET with another Origin: served, no Access-Control-Allow-Origin', shown(r), js(r.headers));
	// A real browser-style cross-origin call, as the console makes it.
	r = await request({ method: 'POST', path: '/api/v1/projects',
		headers: { ...FLAVOURS.binary, Origin: corsOrigin },
		body: enc(M('RegisterProject').req, { project: { id: 'rest-cors', name: 'CORS' } }) });
	ok(r.status === 200 && r.headers['access-control-allow-origin'] === corsOrigin, 'a binary POST from the allowed Origin: 200 with Access-Control-Allow-Origin', shown(r));
}

// -- many at once --------------------------------------------------------------
async function concurrency() {
	const N = 100;
	const paths = ['/api/v1/version', '/api/v1/domains', '/api/v1/projects/rest-bin', `/api/v1/projects?${F}&limit=2`];
	const rs = await Promise.all([...Array(N).keys()].map((i) =>
		request({ path: paths[i % paths.length], headers: { Accept: i % 2 ? BIN : JSONT } })));
	const bad = rs.filter((r) => r.status !== 200);
	ok(bad.length === 0, `${N} concurrent GETs on ${N} connections all 200`, `${bad.length} failed; first: ${bad[0] ? shown(bad[0]) : ''}`);
	const ids = [...Array(10).keys()].map((i) => `rest-conc-${i}`);
	const regs = await Promise.all(ids.map((id) => call('binary', 'POST', '/api/v1/projects', M('RegisterProject').req, { project: { id, name: id } })));
	ok(regs.every((r) => r.status === 200), '10 concurrent binary RegisterProject: all 200', regs.filter((r) => r.status !== 200).map(shown).join(' | '));
	const dup = await Promise.all([...Array(8).keys()].map(() => call('json', 'POST', '/api/v1/projects', M('RegisterProject').req, { project: { id: 'rest-race', name: 'race' } })));
	const st = dup.map((r) => r.status).sort();
	ok(js(st) === js([200, 409, 409, 409, 409, 409, 409, 409]), '8 concurrent RegisterProject of one id: one 200, seven 409', `statuses: ${st}`);
}

main().catch((e) => {
	ok(false, 'rest_conformance.mjs ran to the end', e.stack ?? e);
	finish();
});

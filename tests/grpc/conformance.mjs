// conformance.mjs -- keeld's gRPC door as a stock client sees it: the
// official flyteidl IDL loaded with @grpc/proto-loader and called through
// @grpc/grpc-js.  Prints TAP.
//
//   node conformance.mjs [options] HOST:PORT
//     -I DIR, --proto-path DIR   add an import directory (repeatable; the
//                                first must hold flyteidl/service/*.proto)
//     --first N                  number the first test N (default 1)
//     --no-plan                  print no "1..N" line (the caller prints it)
//
// Without -I the directories come from KEEL_BUILDDIR and KEEL_SRCDIR
// (the unpacked flyteidl package, proto/stub) plus Debian's googleapis and
// /usr/include.  Exit status 0 only when every check passed.
//
// The server is expected to be a fresh keeld with an empty data
// directory: the project checks register alpha, beta, delta and gamma.

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const here = dirname(fileURLToPath(import.meta.url));
const CALL_TIMEOUT_MS = 15000;
const TOTAL_TIMEOUT_MS = 240000;

// --- command line ---------------------------------------------------
let address = null;
let first = 1;
let plan = true;
const protoPath = [];
{
	const argv = process.argv.slice(2);
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '-I' || a === '--proto-path') protoPath.push(argv[++i]);
		else if (a.startsWith('-I') && a.length > 2) protoPath.push(a.slice(2));
		else if (a === '--first') first = Number(argv[++i]);
		else if (a === '--no-plan') plan = false;
		else if (!a.startsWith('-') && address === null) address = a;
		else {
			console.error(`conformance.mjs: unknown argument '${a}'`);
			process.exit(64);
		}
	}
	if (address === null || !Number.isInteger(first) || first < 1) {
		console.error('usage: node conformance.mjs [-I DIR]... [--first N] [--no-plan] HOST:PORT');
		process.exit(64);
	}
	if (protoPath.length === 0) {
		const b = process.env.KEEL_BUILDDIR, s = process.env.KEEL_SRCDIR;
		if (b) protoPath.push(join(b, 'flyteidl-1.16.5', 'protos'));
		if (s) protoPath.push(join(s, 'proto', 'stub'));
		protoPath.push('/usr/share/gocode/src/github.com/gogo/googleapis', '/usr/include');
	}
}

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
		if (why.length) diag(...why.map(String));
	}
	return !!cond;
}
function finish() {
	if (plan) console.log(`1..${n}`);
	console.log(`# conformance.mjs: ${n - first + 1} checks, ${failures} failed`);
	process.exit(failures === 0 ? 0 : 1);
}
// A hung call must not hang `make check`.
setTimeout(() => {
	ok(false, `the whole run finished within ${TOTAL_TIMEOUT_MS / 1000} s`);
	finish();
}, TOTAL_TIMEOUT_MS).unref();

const codeName = Object.fromEntries(Object.entries(grpc.status).map(([k, v]) => [v, k]));
const showCode = (c) => (c === undefined || c === null ? 'OK' : `${c} ${codeName[c] ?? '?'}`);
const short = (s, max = 300) => {
	s = String(s);
	return s.length > max ? `${s.slice(0, max)}... (${s.length} chars)` : s;
};

// --- loading the IDL -------------------------------------------------
const SERVICES = {
	AdminService: 'flyteidl/service/admin.proto',
	AuthMetadataService: 'flyteidl/service/auth.proto',
	IdentityService: 'flyteidl/service/identity.proto',
	DataProxyService: 'flyteidl/service/dataproxy.proto',
	SignalService: 'flyteidl/service/signal.proto',
};
const LOAD_OPTIONS = {
	keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
};

let packageDef;
try {
	packageDef = protoLoader.loadSync(Object.values(SERVICES),
		{ ...LOAD_OPTIONS, includeDirs: protoPath });
} catch (e) {
	ok(false, 'proto-loader loads flyteidl/service/{admin,auth,identity,dataproxy,signal}.proto',
		`include dirs: ${protoPath.join(' ')}`, e.stack ?? e);
	finish();
}
ok(true, 'proto-loader loads flyteidl/service/{admin,auth,identity,dataproxy,signal}.proto');
const healthDef = protoLoader.loadSync(join(here, 'health.proto'), LOAD_OPTIONS);
const loaded = grpc.loadPackageDefinition(packageDef);
const healthPkg = grpc.loadPackageDefinition(healthDef);

// Each service's rpc names as written in its .proto (comments stripped),
// to be sure the loader dropped none.
function rpcsInFile(rel) {
	const dir = protoPath.find((d) => existsSync(join(d, rel)));
	const text = readFileSync(join(dir, rel), 'utf8')
		.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
	return [...text.matchAll(/\brpc\s+(\w+)\s*\(\s*(stream\s+)?[\w.]+\s*\)\s*returns\s*\(\s*(stream\s+)?/g)]
		.map((m) => ({ name: m[1], streaming: !!(m[2] || m[3]) }));
}

const methods = []; // {service, name, path, def, streaming}
for (const [svc, file] of Object.entries(SERVICES)) {
	const def = packageDef[`flyteidl.service.${svc}`];
	const written = rpcsInFile(file);
	const have = def ? Object.keys(def).sort() : [];
	const want = written.map((r) => r.name).sort();
	ok(def && JSON.stringify(have) === JSON.stringify(want),
		`${svc}: the loaded definition has exactly the ${want.length} rpcs of ${file}`,
		`loaded:  ${have.join(' ')}`, `in file: ${want.join(' ')}`);
	for (const r of written) {
		const m = def?.[r.name];
		if (!m) continue;
		methods.push({
			service: svc, name: r.name, path: m.path, def: m,
			streaming: r.streaming || m.requestStream || m.responseStream,
		});
	}
}
diag(`${methods.length} rpcs loaded, ${methods.filter((m) => m.streaming).length} streaming`);

// --- calling --------------------------------------------------------
const svcCtor = (svc) => loaded.flyteidl.service[svc];
const creds = grpc.credentials.createInsecure();
const clients = Object.fromEntries(Object.keys(SERVICES).map((s) => [s, new (svcCtor(s))(address, creds)]));
const admin = clients.AdminService;
const health = new healthPkg.grpc.health.v1.Health(address, creds);

// call(client, method, request[, {metadata, deadline}]) -> Promise of
// {err, res, code, details, initial (Metadata|null), trailing (Metadata|null)}
function call(client, method, req, opt = {}) {
	return new Promise((resolve) => {
		const md = opt.metadata ?? new grpc.Metadata();
		const deadline = opt.deadline ?? Date.now() + CALL_TIMEOUT_MS;
		const out = { err: null, res: null, code: 0, details: '', initial: null, trailing: null };
		let c;
		try {
			c = client[method](req, md, { deadline }, (err, res) => {
				out.err = err;
				out.res = res;
				if (err) {
					out.code = err.code;
					out.details = err.details ?? '';
				}
			});
		} catch (e) { // e.g. the request could not be serialized
			out.err = e;
			out.code = -1;
			out.details = String(e);
			resolve(out);
			return;
		}
		c.on('metadata', (m) => { out.initial = m; });
		c.on('status', (s) => {
			out.trailing = s.metadata;
			if (out.err === null && s.code !== 0) {
				out.code = s.code;
				out.details = s.details;
			}
			// the callback runs before 'status'; let it settle
			setImmediate(() => resolve(out));
		});
	});
}

// raw(path, bytes): a unary call with an arbitrary payload.
function raw(path, bytes, opt = {}) {
	const client = opt.client ?? admin;
	return new Promise((resolve) => {
		const id = (x) => x;
		client.makeUnaryRequest(path, id, id, bytes, new grpc.Metadata(),
			{ deadline: Date.now() + CALL_TIMEOUT_MS },
			(err, res) => resolve({ err, res, code: err ? err.code : 0, details: err?.details ?? '' }));
	});
}

const got = (r) => `got: ${showCode(r.code)}${r.details ? ` "${short(r.details)}"` : ''}`;

// expect(r, code, substring, desc): code (0 for OK) and, when given, a
// message containing substring.
function expect(r, code, substr, desc) {
	const good = r.code === code && (substr == null || (r.details ?? '').includes(substr));
	return ok(good, desc, `want: ${showCode(code)}${substr != null ? ` with "${substr}"` : ''}`, got(r));
}

const IMPLEMENTED = {
	// method: [code for an empty request, message substring]
	GetVersion: [0, null],
	GetDomains: [0, null],
	ListProjects: [0, null],
	RegisterProject: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	UpdateProject: [grpc.status.INVALID_ARGUMENT, 'missing project_id'],
	GetProject: [grpc.status.INVALID_ARGUMENT, 'missing project_id'],
	CreateTask: [grpc.status.INVALID_ARGUMENT, 'missing id'],
	GetTask: [grpc.status.INVALID_ARGUMENT, 'missing id'],
	ListTasks: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	ListTaskIds: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	GetNamedEntity: [grpc.status.INVALID_ARGUMENT, 'missing resource_type'],
	UpdateNamedEntity: [grpc.status.INVALID_ARGUMENT, 'missing resource_type'],
	ListNamedEntities: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	GetDescriptionEntity: [grpc.status.INVALID_ARGUMENT, 'missing id'],
	ListDescriptionEntities: [grpc.status.INVALID_ARGUMENT, 'missing resource_type'],
	CreateWorkflow: [grpc.status.INVALID_ARGUMENT, 'missing id'],
	GetWorkflow: [grpc.status.INVALID_ARGUMENT, 'missing id'],
	ListWorkflows: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	ListWorkflowIds: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	CreateLaunchPlan: [grpc.status.INVALID_ARGUMENT, 'missing id'],
	UpdateLaunchPlan: [grpc.status.INVALID_ARGUMENT, 'missing id'],
	GetLaunchPlan: [grpc.status.INVALID_ARGUMENT, 'missing id'],
	GetActiveLaunchPlan: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	ListLaunchPlans: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	ListActiveLaunchPlans: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	ListLaunchPlanIds: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	CreateExecution: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	RelaunchExecution: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	RecoverExecution: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	GetExecution: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	ListExecutions: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	UpdateExecution: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	TerminateExecution: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	GetExecutionData: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	GetExecutionMetrics: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	CreateWorkflowEvent: [grpc.status.INVALID_ARGUMENT, 'missing event'],
	CreateNodeEvent: [grpc.status.INVALID_ARGUMENT, 'missing event'],
	CreateTaskEvent: [grpc.status.INVALID_ARGUMENT, 'missing event'],
	GetNodeExecution: [grpc.status.INVALID_ARGUMENT, 'missing node execution id'],
	ListNodeExecutions: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	ListNodeExecutionsForTask: [grpc.status.INVALID_ARGUMENT, 'missing task_id'],
	GetNodeExecutionData: [grpc.status.INVALID_ARGUMENT, 'missing node execution id'],
	GetDynamicNodeWorkflow: [grpc.status.INVALID_ARGUMENT, 'missing node execution id'],
	GetTaskExecution: [grpc.status.INVALID_ARGUMENT, 'missing task_id'],
	ListTaskExecutions: [grpc.status.INVALID_ARGUMENT, 'missing node execution id'],
	GetTaskExecutionData: [grpc.status.INVALID_ARGUMENT, 'missing task_id'],
	// SignalService
	GetOrCreateSignal: [grpc.status.INVALID_ARGUMENT, 'missing id'],
	ListSignals: [grpc.status.INVALID_ARGUMENT, 'missing execution_id'],
	SetSignal: [grpc.status.INVALID_ARGUMENT, 'missing id'],
};
const DOMAINS = ['development', 'staging', 'production'];
const HEALTH = { SERVING: 'SERVING' };

async function main() {
	// -- reachability --------------------------------------------------
	const ready = await new Promise((resolve) =>
		admin.waitForReady(Date.now() + 10000, (e) => resolve(e)));
	if (!ok(!ready, `a channel to ${address} becomes ready`, String(ready))) finish();

	// -- health --------------------------------------------------------
	let r = await call(health, 'Check', { service: '' });
	ok(r.code === 0 && r.res?.status === HEALTH.SERVING, 'grpc.health.v1.Health/Check "" is SERVING',
		got(r), `status: ${r.res?.status}`);
	r = await call(health, 'Check', { service: 'flyteidl.service.AdminService' });
	ok(r.code === 0 && r.res?.status === HEALTH.SERVING,
		'Health/Check "flyteidl.service.AdminService" is SERVING', got(r), `status: ${r.res?.status}`);
	for (const svc of Object.keys(SERVICES).filter((x) => x !== 'AdminService')) {
		r = await call(health, 'Check', { service: `flyteidl.service.${svc}` });
		ok(r.code === 0 && r.res?.status === HEALTH.SERVING,
			`Health/Check "flyteidl.service.${svc}" is SERVING`, got(r), `status: ${r.res?.status}`);
	}
	r = await call(health, 'Check', { service: 'no.such.Service' });
	expect(r, grpc.status.NOT_FOUND, null, 'Health/Check of an unknown service: NOT_FOUND (5)');

	// -- GetVersion, GetDomains ----------------------------------------
	r = await call(admin, 'GetVersion', {});
	const v = r.res?.control_plane_version;
	ok(r.code === 0 && v && typeof v.Version === 'string' && v.Version !== '',
		'GetVersion: control_plane_version.Version is set', got(r), JSON.stringify(r.res));
	ok(v && typeof v.Build === 'string' && typeof v.BuildTime === 'string',
		'GetVersion: Build and BuildTime are strings', JSON.stringify(v));
	if (v) diag(`Version=${v.Version} Build=${v.Build} BuildTime=${v.BuildTime}`);
	r = await call(admin, 'GetDomains', {});
	const dom = (r.res?.domains ?? []).map((d) => d.id);
	ok(r.code === 0 && JSON.stringify([...dom].sort()) === JSON.stringify([...DOMAINS].sort()),
		'GetDomains: development, staging, production', got(r), `domains: ${JSON.stringify(r.res?.domains)}`);
	ok((r.res?.domains ?? []).every((d) => d.name), 'GetDomains: every domain has a name',
		JSON.stringify(r.res?.domains));

	// -- x-request-id --------------------------------------------------
	const rid = `keel-conformance-${process.pid}-${Date.now()}`;
	let md = new grpc.Metadata();
	md.set('x-request-id', rid);
	r = await call(admin, 'GetVersion', {}, { metadata: md });
	const echoed = r.initial?.get('x-request-id') ?? [];
	ok(r.code === 0 && echoed.length === 1 && echoed[0] === rid,
		'x-request-id sent is echoed in the response initial metadata',
		got(r), `initial metadata: ${JSON.stringify(r.initial?.getMap())}`);
	r = await call(admin, 'GetVersion', {});
	const made = r.initial?.get('x-request-id') ?? [];
	ok(made.length === 1 && String(made[0]) !== '',
		'without one, the response initial metadata still carries an x-request-id',
		`initial metadata: ${JSON.stringify(r.initial?.getMap())}`);
	md = new grpc.Metadata();
	md.set('x-request-id', `${rid}-err`);
	r = await call(admin, 'GetProject', { id: 'no-such-project' }, { metadata: md });
	{
		const where = [...(r.initial?.get('x-request-id') ?? []), ...(r.trailing?.get('x-request-id') ?? [])];
		ok(r.code === grpc.status.NOT_FOUND && where.includes(`${rid}-err`),
			'x-request-id comes back on an error response too', got(r),
			`initial: ${JSON.stringify(r.initial?.getMap())}`, `trailing: ${JSON.stringify(r.trailing?.getMap())}`);
	}

	// A request id unsafe to echo (spaces, too long) is replaced.
	for (const bad of [' ab', 'x'.repeat(200)]) {
		md = new grpc.Metadata();
		md.set('x-request-id', bad);
		r = await call(admin, 'GetVersion', {}, { metadata: md });
		const back = r.initial?.get('x-request-id') ?? [];
		ok(r.code === 0 && back.length === 1 && String(back[0]).startsWith('a-'),
			`an unsafe x-request-id (${bad.length} bytes) is replaced by a made-up one`,
			got(r), `initial metadata: ${JSON.stringify(r.initial?.getMap())}`);
	}
	// Large metadata (e.g. a big bearer token) is accepted, and the
	// connection keeps working.
	md = new grpc.Metadata();
	md.set('x-big', 'b'.repeat(20000));
	r = await call(admin, 'GetVersion', {}, { metadata: md });
	ok(r.code === 0, '20 KB of request metadata is accepted', got(r));
	r = await call(admin, 'GetVersion', {});
	ok(r.code === 0, 'and the next call on the channel works', got(r));

	// -- every rpc with an empty request -------------------------------
	for (const m of methods) {
		const label = `${m.service}/${m.name}`;
		if (m.streaming) {
			n++;
			console.log(`ok ${n} - ${label} with an empty request # SKIP streaming`);
			continue;
		}
		r = await call(clients[m.service], m.name, {});
		if (['AdminService', 'SignalService'].includes(m.service) && IMPLEMENTED[m.name]) {
			const [code, sub] = IMPLEMENTED[m.name];
			expect(r, code, sub, `${label} with an empty request: ${showCode(code)}`);
		} else {
			expect(r, grpc.status.UNIMPLEMENTED, m.name, `${label} with an empty request: UNIMPLEMENTED naming the method`);
		}
	}

	// -- paths and payloads no IDL produces ----------------------------
	r = await raw('/flyteidl.service.AdminService/NoSuchMethod', Buffer.alloc(0));
	expect(r, grpc.status.UNIMPLEMENTED, 'NoSuchMethod', 'an unknown method of a known service: UNIMPLEMENTED (12)');
	r = await raw('/no.such.Service/GetVersion', Buffer.alloc(0));
	expect(r, grpc.status.UNIMPLEMENTED, null, 'an unknown service: UNIMPLEMENTED (12)');
	// field 1 (id) as a length-delimited string claiming 100 bytes, with 1 there
	r = await raw('/flyteidl.service.AdminService/GetProject', Buffer.from([0x0a, 0x64, 0x61]));
	ok(r.code === grpc.status.INTERNAL || r.code === grpc.status.INVALID_ARGUMENT,
		'a request that is not a valid protobuf: INTERNAL (13) or INVALID_ARGUMENT (3)', got(r));
	diag(`unparsable request answered ${got(r)}`);
	r = await call(admin, 'GetVersion', {});
	expect(r, 0, null, 'the server still answers afterwards');
	// Unknown fields (a newer client's) are skipped, as protobuf requires.
	const gp = packageDef['flyteidl.service.AdminService'].GetProject;
	r = await raw(gp.path, Buffer.concat([gp.requestSerialize({ id: 'no-such-project' }),
		Buffer.from([0xf8, 0x06, 0x01])])); // field 111, varint 1
	expect(r, grpc.status.NOT_FOUND, 'project [no-such-project] not found',
		'a request with an unknown field: the field is ignored');
	// Stock clients may compress requests.
	{
		const gz = new (svcCtor('AdminService'))(address, creds,
			{ 'grpc.default_compression_algorithm': 2, 'grpc.use_local_subchannel_pool': 1 });
		r = await call(gz, 'GetProject', { id: 'no-such-project' });
		expect(r, grpc.status.NOT_FOUND, 'project [no-such-project] not found', 'a gzip-compressed request is understood');
		gz.close();
	}

	await projects();
	await listing();
	await limits();
	await registry();
	await concurrency();

	for (const c of [...Object.values(clients), health]) c.close();
	finish();
}

// A view of everything stored, to show that a failed call changed
// nothing.
const KNOWN_IDS = ['alpha', 'beta', 'gamma', 'delta', 'omega'];
async function snapshot() {
	const parts = [];
	for (const req of [{ limit: 100 }, { limit: 100, filters: 'eq(state,1)' }]) {
		const r = await call(admin, 'ListProjects', req);
		parts.push([showCode(r.code), r.res]);
	}
	for (const id of KNOWN_IDS) {
		const r = await call(admin, 'GetProject', { id });
		parts.push([id, showCode(r.code), r.res]);
	}
	return JSON.stringify(parts);
}

const proj = (over = {}) => ({
	project: {
		id: 'omega', name: 'Omega', description: 'never stored',
		labels: { values: { team: 'keel' } }, ...over,
	},
});

async function projects() {
	let r = await call(admin, 'RegisterProject', {
		project: {
			id: 'alpha', name: 'Alpha', description: 'the first project',
			labels: { values: { team: 'keel', tier: 'gold' } },
		},
	});
	expect(r, 0, null, 'RegisterProject alpha: OK');
	r = await call(admin, 'GetProject', { id: 'alpha' });
	const p = r.res;
	ok(r.code === 0 && p?.id === 'alpha' && p.name === 'Alpha' && p.description === 'the first project',
		'GetProject alpha: id, name, description as registered', got(r), JSON.stringify(p));
	ok(p?.labels?.values?.team === 'keel' && p?.labels?.values?.tier === 'gold'
		&& Object.keys(p.labels.values).length === 2,
	'GetProject alpha: labels as registered', JSON.stringify(p?.labels));
	ok(p?.state === 'ACTIVE', 'GetProject alpha: state ACTIVE', `state: ${p?.state}`);
	ok(JSON.stringify((p?.domains ?? []).map((d) => d.id).sort()) === JSON.stringify([...DOMAINS].sort()),
		'GetProject alpha: carries domains development, staging, production', JSON.stringify(p?.domains));

	// Failures, each of which must leave the store as it was.
	const before = await snapshot();
	const bad = [
		[proj({ name: '' }), 3, 'missing project_name', 'RegisterProject without a name'],
		[proj({ id: '' }), 3, 'missing project_id', 'RegisterProject without an id'],
		[proj({ id: 'Bad' }), 3, 'invalid project id [Bad]:', 'RegisterProject id "Bad" (not a DNS-1123 label)'],
		[proj({ id: 'x'.repeat(64) }), 3, 'invalid project id [', 'RegisterProject with a 64-character id'],
		[proj({ id: 'bad_dup' }), 3, 'invalid project id [bad_dup]:', 'RegisterProject id with an underscore'],
		[proj({ name: 'n'.repeat(65) }), 3, 'project_name cannot exceed 64 characters', 'RegisterProject with a 65-character name'],
		[proj({ description: 'd'.repeat(301) }), 3, 'cannot exceed 300 characters', 'RegisterProject with a 301-character description'],
		[proj({ labels: { values: Object.fromEntries([...Array(17).keys()].map((i) => [`k${i}`, 'v'])) } }),
			3, 'labels map cannot exceed 16 entries', 'RegisterProject with 17 labels'],
		[proj({ domains: [{ id: 'development', name: 'development' }] }), 3,
			'Domains are currently only set system wide', 'RegisterProject with domains'],
		[proj({ id: 'alpha', name: 'Alpha again', description: 'overwrite?' }), 6,
			'project with id [alpha] already exists', 'RegisterProject alpha again'],
	];
	for (const [req, code, sub, what] of bad) {
		r = await call(admin, 'RegisterProject', req);
		expect(r, code, sub, `${what}: ${showCode(code)}`);
	}
	r = await call(admin, 'GetProject', { id: 'no-such-project' });
	expect(r, grpc.status.NOT_FOUND, 'project [no-such-project] not found', 'GetProject of an unknown id: NOT_FOUND "project [x] not found"');
	r = await call(admin, 'UpdateProject', { id: 'omega', name: 'Omega' });
	expect(r, grpc.status.NOT_FOUND, 'omega', 'UpdateProject of an unknown id: NOT_FOUND');
	r = await call(admin, 'UpdateProject', { id: 'alpha', name: 'n'.repeat(65) });
	expect(r, grpc.status.INVALID_ARGUMENT, 'project_name cannot exceed 64 characters', 'UpdateProject alpha with a 65-character name: INVALID_ARGUMENT');
	r = await call(admin, 'UpdateProject', { id: 'alpha', name: 'Alpha', domains: [{ id: 'x', name: 'x' }] });
	expect(r, grpc.status.INVALID_ARGUMENT, 'Domains are currently only set system wide', 'UpdateProject alpha with domains: INVALID_ARGUMENT');
	const after = await snapshot();
	ok(before === after, 'none of the failed calls changed what is stored',
		`before: ${short(before, 2000)}`, `after:  ${short(after, 2000)}`);

	// Boundaries that are allowed.
	r = await call(admin, 'RegisterProject', {
		project: {
			id: 'delta', name: 'N'.repeat(64), description: 'D'.repeat(300),
			labels: { values: Object.fromEntries([...Array(16).keys()].map((i) => [`k${i}`, `v${i}`])) },
		},
	});
	expect(r, 0, null, 'RegisterProject with a 64-character name, a 300-character description, 16 labels: OK');
	r = await call(admin, 'GetProject', { id: 'delta' });
	ok(r.code === 0 && r.res?.name === 'N'.repeat(64) && r.res?.description === 'D'.repeat(300)
		&& Object.keys(r.res?.labels?.values ?? {}).length === 16,
	'GetProject delta: stored whole', got(r), short(JSON.stringify(r.res)));

	// UpdateProject replaces name, description, labels.
	r = await call(admin, 'UpdateProject', {
		id: 'alpha', name: 'Alpha Prime', description: 'updated', labels: { values: { team: 'core' } },
	});
	expect(r, 0, null, 'UpdateProject alpha: OK');
	r = await call(admin, 'GetProject', { id: 'alpha' });
	ok(r.code === 0 && r.res?.name === 'Alpha Prime' && r.res?.description === 'updated'
		&& JSON.stringify(r.res?.labels?.values) === '{"team":"core"}' && r.res?.state === 'ACTIVE',
	'GetProject alpha after the update: new name, description, labels', got(r), JSON.stringify(r.res));
}

const ids = (r) => (r.res?.projects ?? []).map((p) => p.id);

async function listing() {
	for (const id of ['gamma', 'beta']) { // out of order on purpose
		const r = await call(admin, 'RegisterProject', { project: { id, name: id.toUpperCase() } });
		expect(r, 0, null, `RegisterProject ${id}: OK`);
	}
	let r = await call(admin, 'ListProjects', { limit: 100 });
	is(ids(r), ['alpha', 'beta', 'delta', 'gamma'], r, 'ListProjects: every project, by identifier ascending');
	ok((r.res?.projects ?? []).every((p) => p.domains?.length === 3),
		'ListProjects: every project carries the three domains');
	ok(r.res?.token === '', 'ListProjects: no token when everything fit', `token: ${JSON.stringify(r.res?.token)}`);

	r = await call(admin, 'ListProjects', { limit: 2 });
	is(ids(r), ['alpha', 'beta'], r, 'ListProjects limit 2: first page');
	ok(r.res?.token === '2', 'ListProjects limit 2: token "2"', `token: ${JSON.stringify(r.res?.token)}`);
	r = await call(admin, 'ListProjects', { limit: 2, token: r.res?.token ?? '' });
	is(ids(r), ['delta', 'gamma'], r, 'ListProjects limit 2 token "2": second page');
	ok(r.res?.token === '', 'ListProjects: token "" at the end', `token: ${JSON.stringify(r.res?.token)}`);

	r = await call(admin, 'ListProjects', { limit: 100, sort_by: { key: 'identifier', direction: 'DESCENDING' } });
	is(ids(r), ['gamma', 'delta', 'beta', 'alpha'], r, 'ListProjects sort_by identifier DESCENDING');
	r = await call(admin, 'ListProjects', { limit: 100, sort_by: { key: 'name', direction: 'ASCENDING' } });
	is(ids(r), ['alpha', 'beta', 'gamma', 'delta'], r, 'ListProjects sort_by name ASCENDING ("Alpha Prime" < "BETA" < "GAMMA" < "NNN...")');

	const before = await snapshot();
	r = await call(admin, 'ListProjects', { limit: 2, token: 'x' });
	expect(r, 3, 'invalid pagination token x for ListProjects', 'ListProjects token "x": INVALID_ARGUMENT');
	r = await call(admin, 'ListProjects', { limit: 2, sort_by: { key: 'nope', direction: 'ASCENDING' } });
	expect(r, 3, "invalid sort key 'nope'", 'ListProjects sort key "nope": INVALID_ARGUMENT');
	r = await call(admin, 'ListProjects', { limit: 2, filters: 'eq(state' });
	expect(r, 3, null, 'ListProjects with a malformed filter: INVALID_ARGUMENT');
	diag(`malformed filter: ${got(r)}`);
	ok(before === await snapshot(), 'nothing stored changed');

	// Archiving hides a project from the unfiltered listing.
	r = await call(admin, 'UpdateProject', { id: 'gamma', name: 'GAMMA', state: 'ARCHIVED' });
	expect(r, 0, null, 'UpdateProject gamma state ARCHIVED: OK');
	r = await call(admin, 'GetProject', { id: 'gamma' });
	ok(r.code === 0 && r.res?.state === 'ARCHIVED', 'GetProject gamma: state ARCHIVED', got(r), `state: ${r.res?.state}`);
	r = await call(admin, 'ListProjects', { limit: 100 });
	is(ids(r), ['alpha', 'beta', 'delta'], r, 'ListProjects without filters hides the archived project');
	r = await call(admin, 'ListProjects', { limit: 100, filters: 'eq(state,1)' });
	is(ids(r), ['gamma'], r, 'ListProjects filters eq(state,1): the archived project');
	r = await call(admin, 'ListProjects', { limit: 100, filters: 'eq(state,0)' });
	is(ids(r), ['alpha', 'beta', 'delta'], r, 'ListProjects filters eq(state,0): the active ones');
	r = await call(admin, 'UpdateProject', { id: 'gamma', name: 'GAMMA', state: 'ACTIVE' });
	expect(r, 0, null, 'UpdateProject gamma state ACTIVE: OK');
	r = await call(admin, 'ListProjects', { limit: 100 });
	is(ids(r), ['alpha', 'beta', 'delta', 'gamma'], r, 'gamma is listed again');
}

function is(gotv, want, r, desc) {
	return ok(JSON.stringify(gotv) === JSON.stringify(want), desc,
		`want: ${JSON.stringify(want)}`, `got:  ${JSON.stringify(gotv)}`, got(r));
}

async function limits() {
	// Just under the 4 MiB limit: reaches the handler, which rejects the
	// description length.
	let r = await call(admin, 'RegisterProject', proj({ id: 'omega', description: 'd'.repeat(3 * 1024 * 1024) }));
	expect(r, grpc.status.INVALID_ARGUMENT, 'cannot exceed 300 characters',
		'a 3 MiB request reaches the service (INVALID_ARGUMENT for the description)');
	r = await call(admin, 'RegisterProject', proj({ id: 'omega', description: 'd'.repeat(5 * 1024 * 1024) }));
	expect(r, grpc.status.RESOURCE_EXHAUSTED, null, 'a 5 MiB request: RESOURCE_EXHAUSTED (8)');
	diag(`5 MiB request: ${got(r)}`);
	r = await call(admin, 'GetProject', { id: 'omega' });
	expect(r, grpc.status.NOT_FOUND, null, 'the oversized project was not stored');
	r = await call(admin, 'GetVersion', {});
	expect(r, 0, null, 'the server still answers on the same channel');

	// Deadlines.
	r = await call(admin, 'GetProject', { id: 'alpha' }, { deadline: Date.now() - 1000 });
	expect(r, grpc.status.DEADLINE_EXCEEDED, null, 'a deadline already past: DEADLINE_EXCEEDED (4)');
	r = await call(admin, 'GetProject', { id: 'alpha' }, { deadline: Date.now() + 5000 });
	expect(r, 0, null, 'a call with a 5 s deadline: OK');
	// A deadline that expires while the request travels: either the server
	// answers in time or the call ends DEADLINE_EXCEEDED, nothing else.
	r = await call(admin, 'ListProjects', { limit: 100 }, { deadline: Date.now() + 1 });
	ok(r.code === 0 || r.code === grpc.status.DEADLINE_EXCEEDED, 'a 1 ms deadline: OK or DEADLINE_EXCEEDED', got(r));
}

async function concurrency() {
	const N = 200;
	let r;
	let rs = await Promise.all([...Array(N).keys()].map(() => call(admin, 'GetProject', { id: 'alpha' })));
	let bad = rs.filter((r) => r.code !== 0 || r.res?.id !== 'alpha');
	ok(bad.length === 0, `${N} concurrent GetProject on one channel all succeed`,
		`${bad.length} failed; first: ${bad[0] ? got(bad[0]) : ''}`);

	// Ten connections of their own, 20 calls each, a mix of methods.
	const chans = [...Array(10).keys()].map(() =>
		new (svcCtor('AdminService'))(address, creds, { 'grpc.use_local_subchannel_pool': 1 }));
	const mix = [['GetProject', { id: 'beta' }], ['ListProjects', { limit: 2 }], ['GetDomains', {}], ['GetVersion', {}]];
	rs = await Promise.all(chans.flatMap((c, i) => [...Array(20).keys()].map((j) => {
		const [m, req] = mix[(i + j) % mix.length];
		return call(c, m, req);
	})));
	bad = rs.filter((r) => r.code !== 0);
	ok(bad.length === 0, '200 concurrent calls over 10 connections all succeed',
		`${bad.length} failed; first: ${bad[0] ? got(bad[0]) : ''}`);
	for (const c of chans) c.close();

	// Calls the client gives up on at once must not hurt the server.
	const gone = [...Array(100).keys()].map(() => admin.ListProjects({ limit: 100 }, () => {}));
	for (const c of gone) c.cancel();
	r = await call(admin, 'GetProject', { id: 'alpha' });
	expect(r, 0, null, '100 calls cancelled right away, then the server still answers');

	// Register and read back concurrently: distinct ids all land.
	const newIds = [...Array(20).keys()].map((i) => `conc-${String(i).padStart(2, '0')}`);
	rs = await Promise.all(newIds.map((id) => call(admin, 'RegisterProject', { project: { id, name: id } })));
	bad = rs.filter((r) => r.code !== 0);
	ok(bad.length === 0, '20 concurrent RegisterProject with distinct ids all succeed',
		`${bad.length} failed; first: ${bad[0] ? got(bad[0]) : ''}`);
	// and the same id 10 times at once: exactly one wins.
	rs = await Promise.all([...Array(10).keys()].map(() => call(admin, 'RegisterProject', { project: { id: 'race', name: 'race' } })));
	const wins = rs.filter((r) => r.code === 0).length;
	const dups = rs.filter((r) => r.code === grpc.status.ALREADY_EXISTS).length;
	ok(wins === 1 && dups === 9, '10 concurrent RegisterProject of one id: one OK, nine ALREADY_EXISTS',
		`OK: ${wins}, ALREADY_EXISTS: ${dups}, others: ${rs.filter((r) => r.code !== 0 && r.code !== 6).map(got).join('; ')}`);
	const all = await call(admin, 'ListProjects', { limit: 1000 });
	is(ids(all).filter((i) => i.startsWith('conc-') || i === 'race'), [...newIds, 'race'], all,
		'all of them are listed, in order');
}

// -- the registry: tasks, workflows, launch plans (checklist 5, 8-11, 13-17)
const PD = { project: 'reg', domain: 'development' };
const rid = (resource_type, name, version = 'v1') => ({ resource_type, ...PD, name, version });
const intT = { simple: 'INTEGER' };
const vars = (o) => ({ variables: Object.fromEntries(Object.entries(o).map(([k, t]) => [k, { type: t }])) });
const promise = (node_id, v) => ({ promise: { node_id, var: v } });
const bind = (v, binding) => ({ var: v, binding });
const lit = (i) => ({ scalar: { primitive: { integer: String(i) } } });
function wfReq(name, nodes, outputs, version = 'v1') {
	return {
		id: rid('WORKFLOW', name, version),
		spec: { template: { interface: { inputs: vars({ x: intT }), outputs: vars({ o: intT }) }, nodes, outputs } },
	};
}
const addNode = (id, a, b) => ({
	id, task_node: { reference_id: rid('TASK', 'reg.add') }, inputs: [bind('a', a), bind('b', b)],
});
// The type URLs of the google.rpc.Status details grpc-js leaves in the
// trailers: each Any's type_url (field 1) inside details (field 3).
function statusDetailTypes(r) {
	const bin = r.trailing?.get('grpc-status-details-bin')?.[0];
	const urls = [];
	if (!Buffer.isBuffer(bin)) return urls;
	const varint = (b, i) => { let v = 0, s = 0, c; do { c = b[i++]; v += (c & 0x7f) * 2 ** s; s += 7; } while (c & 0x80); return [v, i]; };
	for (let i = 0; i < bin.length;) {
		let key, len;
		[key, i] = varint(bin, i);
		if ((key & 7) === 0) { [, i] = varint(bin, i); continue; }
		[len, i] = varint(bin, i);
		if (key >>> 3 === 3) {
			const any = bin.subarray(i, i + len);
			let k2, l2, j = 0;
			[k2, j] = varint(any, j);
			[l2, j] = varint(any, j);
			if (k2 >>> 3 === 1) urls.push(any.subarray(j, j + l2).toString('utf8'));
		}
		i += len;
	}
	return urls;
}

async function registry() {
	let r = await call(admin, 'RegisterProject', { project: { id: 'reg', name: 'reg' } });
	expect(r, 0, null, 'registry: project reg');
	const two = [addNode('n0', promise('start-node', 'x'), lit(1)), addNode('n1', promise('n0', 'o0'), promise('n0', 'o0'))];
	const out = [bind('o', promise('n1', 'o0'))];
	r = await call(admin, 'CreateWorkflow', wfReq('reg.wf', two, out));
	expect(r, grpc.status.INVALID_ARGUMENT, 'failed to compile workflow', 'CreateWorkflow before its task exists: INVALID_ARGUMENT "failed to compile"');
	ok(r.details.includes('TaskReferenceNotFound'), 'naming the missing task', got(r));
	r = await call(admin, 'CreateTask', {
		id: rid('TASK', 'reg.add'),
		spec: { template: { type: 'python-task', metadata: {}, container: { image: 'img:1' },
			interface: { inputs: vars({ a: intT, b: intT }), outputs: vars({ o0: intT }) } } },
	});
	expect(r, 0, null, 'CreateTask reg.add');
	r = await call(admin, 'CreateWorkflow', wfReq('reg.wf', two, out));
	expect(r, 0, null, 'CreateWorkflow once the task exists');
	r = await call(admin, 'CreateWorkflow', wfReq('reg.wf', two, out));
	expect(r, grpc.status.ALREADY_EXISTS, 'identical structure', 'identical re-registration: ALREADY_EXISTS');
	ok(statusDetailTypes(r).some((t) => t.endsWith('flyteidl.admin.CreateWorkflowFailureReason')),
		'with a CreateWorkflowFailureReason detail', statusDetailTypes(r).join(', '));
	r = await call(admin, 'CreateWorkflow', wfReq('reg.wf', [two[0], addNode('n1', promise('n0', 'o0'), lit(7))], out));
	expect(r, grpc.status.INVALID_ARGUMENT, 'different structure', 'different content under v1: INVALID_ARGUMENT');
	const many = [addNode('c0', promise('start-node', 'x'), lit(1))];
	for (let i = 1; i < 101; i++) many.push(addNode(`c${i}`, promise(`c${i - 1}`, 'o0'), lit(1)));
	r = await call(admin, 'CreateWorkflow', wfReq('reg.big', many, [bind('o', promise('c100', 'o0'))]));
	expect(r, grpc.status.INVALID_ARGUMENT, 'exceeds the limit (101 > 100', '101 nodes at the default limit: INVALID_ARGUMENT');
	r = await call(admin, 'GetWorkflow', { id: rid('WORKFLOW', 'reg.wf') });
	const nodes = r.res?.closure?.compiled_workflow?.primary?.template?.nodes ?? [];
	ok(r.code === 0 && nodes.length === 4 && nodes.some((n) => n.id === 'start-node'),
		'GetWorkflow: the compiled closure with start-node and end-node', got(r), `nodes: ${nodes.map((n) => n.id)}`);
	const n1b = nodes.find((n) => n.id === 'n1')?.inputs?.find((b) => b.var === 'b')?.binding;
	ok(n1b?.promise?.node_id === 'n0', 'the refused re-registration left the stored closure as it was',
		`n1.b: ${JSON.stringify(n1b)}`);
	r = await call(admin, 'ListWorkflows', { id: PD, limit: 10 });
	const lw = r.res?.workflows ?? [];
	ok(r.code === 0 && lw.length === 1 && lw[0].closure.compiled_workflow.primary.template.nodes.length === 0 &&
		Object.keys(lw[0].closure.compiled_workflow.primary.template.interface.inputs.variables).join() === 'x',
	'ListWorkflows: the interface only', got(r));
	r = await call(admin, 'ListWorkflows', { id: PD, limit: 10, filters: 'eq(project.name,x)' });
	expect(r, grpc.status.INVALID_ARGUMENT, "'project' entity is not allowed", 'a project join on workflows: INVALID_ARGUMENT');

	const lpReq = (name, version, extra = {}) => ({
		id: rid('LAUNCH_PLAN', name, version),
		spec: { workflow_id: rid('WORKFLOW', 'reg.wf'), ...extra },
	});
	const sched = { entity_metadata: { schedule: { cron_schedule: { schedule: '0 * * * *' } } },
		default_inputs: { parameters: { x: { var: { type: intT }, default: lit(3) } } } };
	r = await call(admin, 'CreateLaunchPlan', lpReq('reg.lp', 'v1'));
	expect(r, 0, null, 'CreateLaunchPlan without inputs');
	r = await call(admin, 'GetLaunchPlan', { id: rid('LAUNCH_PLAN', 'reg.lp', 'v1') });
	ok(r.code === 0 && r.res.closure.state === 'INACTIVE' && r.res.closure.expected_inputs.parameters.x.required === true,
		'created INACTIVE, x a required expected input', got(r));
	r = await call(admin, 'CreateLaunchPlan', lpReq('reg.lp', 'v2', { default_inputs: { parameters: { y: { var: { type: intT }, default: lit(1) } } } }));
	expect(r, grpc.status.INVALID_ARGUMENT, 'unexpected default_input y', 'a default input the workflow lacks: INVALID_ARGUMENT');
	r = await call(admin, 'CreateLaunchPlan', lpReq('reg.lp', 'v2', { entity_metadata: { schedule: { cron_schedule: { schedule: '0 * * * *' } } } }));
	expect(r, grpc.status.INVALID_ARGUMENT, 'unbound required input', 'a schedule with an unbound required input: INVALID_ARGUMENT');
	r = await call(admin, 'CreateLaunchPlan', lpReq('reg.lp', 'v2', { ...sched, entity_metadata: { schedule: { cron_schedule: { schedule: '0 25 * * *' } } } }));
	expect(r, grpc.status.INVALID_ARGUMENT, 'Invalid cron expression', 'hour 25: INVALID_ARGUMENT');
	r = await call(admin, 'CreateLaunchPlan', lpReq('reg.lp', 'v2', { ...sched, entity_metadata: { notifications: [{ phases: ['RUNNING'], email: { recipients_email: ['a@b.c'] } }] } }));
	expect(r, grpc.status.INVALID_ARGUMENT, 'phase', 'a notification on RUNNING: INVALID_ARGUMENT');
	r = await call(admin, 'CreateLaunchPlan', lpReq('reg.cron', 'v1', sched));
	expect(r, 0, null, 'scheduled launch plan v1');
	r = await call(admin, 'CreateLaunchPlan', lpReq('reg.cron', 'v2', sched));
	expect(r, 0, null, 'scheduled launch plan v2');
	r = await call(admin, 'GetActiveLaunchPlan', { id: { ...PD, name: 'reg.cron' } });
	expect(r, grpc.status.NOT_FOUND, 'No active launch plan could be found', 'none active: NOT_FOUND');
	r = await call(admin, 'UpdateLaunchPlan', { id: rid('LAUNCH_PLAN', 'reg.cron', 'v1'), state: 'ACTIVE' });
	expect(r, 0, null, 'activate v1');
	r = await call(admin, 'UpdateLaunchPlan', { id: rid('LAUNCH_PLAN', 'reg.cron', 'v2'), state: 'ACTIVE' });
	expect(r, 0, null, 'activate v2');
	r = await call(admin, 'GetActiveLaunchPlan', { id: { ...PD, name: 'reg.cron' } });
	ok(r.code === 0 && r.res.id.version === 'v2' && r.res.closure.state === 'ACTIVE', 'GetActiveLaunchPlan: v2', got(r));
	r = await call(admin, 'GetLaunchPlan', { id: rid('LAUNCH_PLAN', 'reg.cron', 'v1') });
	ok(r.code === 0 && r.res.closure.state === 'INACTIVE', 'v1 went INACTIVE', got(r));
	r = await call(admin, 'ListLaunchPlans', { id: PD, limit: 10, filters: 'eq(workflow.name,reg.wf)+eq(state,1)' });
	ok(r.code === 0 && r.res.launch_plans.length === 1 && r.res.launch_plans[0].id.version === 'v2',
		'ListLaunchPlans with a workflow join filter and eq(state,1)', got(r));
	r = await call(admin, 'ListLaunchPlanIds', { ...PD, limit: 10 });
	ok(r.code === 0 && r.res.entities.map((e) => e.name).join() === 'reg.cron,reg.lp', 'ListLaunchPlanIds', got(r));
}

main().catch((e) => {
	ok(false, 'conformance.mjs ran to the end', e.stack ?? e);
	finish();
});

import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A private CA and a server certificate it signed, as files. */
export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * Makes, with openssl, a CA and a certificate for 127.0.0.1 signed by it, in `dir`. EC keys: a
 * second instead of RSA's several on a busy machine. Valid for a day; the test removes them.
 */
export async function makeTlsFiles(dir: string): Promise<TlsFiles> {
  const p = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-subj', '/CN=Hookpost test CA', '-days', '1']);
  await run('openssl', ['req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=127.0.0.1']);
  // Node checks the address against subjectAltName, not the CN.
  await writeFile(p('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    p('server.csr'),
    '-CA',
    p('ca.crt'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-out',
    p('server.crt'),
    '-days',
    '1',
    '-extfile',
    p('server.ext'),
  ]);
  return { caFile: p('ca.crt'), certFile: p('server.crt'), keyFile: p('server.key') };
}

/** redis-server's arguments to listen with TLS only on `port`, clients needing no certificate. */
export function redisTlsArgs(tls: TlsFiles, port: number): string[] {
  return [
    '--port',
    '0',
    '--tls-port',
    String(port),
    '--tls-cert-file',
    tls.certFile,
    '--tls-key-file',
    tls.keyFile,
    '--tls-ca-cert-file',
    tls.caFile,
    '--tls-auth-clients',
    'no',
    '--tls-replication',
    'yes',
  ];
}

/** redis-cli's arguments to reach such a server. */
export function redisCliTlsArgs(tls: TlsFiles): string[] {
  return ['--tls', '--cacert', tls.caFile];
}

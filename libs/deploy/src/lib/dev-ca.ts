import 'reflect-metadata';
import { X509Certificate, webcrypto } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { writePrivate } from './secrets';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface DevCaFiles {
  caCert: string;
  serverCert: string;
  serverKey: string;
}

/** Where `ensureDevCa` keeps its files in `dir`. */
export function devCaFiles(dir: string): DevCaFiles & { caKey: string } {
  return {
    caCert: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server-key.pem'),
  };
}

/**
 * A development certificate authority and a broker certificate signed by it, for the TLS
 * listeners of a stack that has no certificates of its own. Created on first start and kept;
 * a server certificate that expires within 30 days, or that lacks one of `hosts`, is
 * renewed from the same CA, so clients that trust the CA keep working.
 */
export async function ensureDevCa(
  dir: string,
  hosts: readonly string[],
  now = new Date(),
): Promise<{ files: DevCaFiles; created: boolean }> {
  const files = devCaFiles(dir);
  let created = false;
  if (!existsSync(files.caCert) || !existsSync(files.caKey)) {
    await createCa(files, now);
    created = true;
  }
  if (created || needsRenewal(files.serverCert, hosts, now)) {
    await issueServerCert(files, hosts, now);
    created = true;
  }
  return { files, created };
}

/** A self-signed CA valid for ten years, its key private to this user. */
async function createCa(files: DevCaFiles & { caKey: string }, now: Date): Promise<void> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'CN=mqgw development CA, O=mqgw',
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + 3650 * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  writePrivate(files.caKey, await privateKeyPem(keys.privateKey));
  writePrivate(files.caCert, cert.toString('pem') + '\n', 0o644);
}

/** A broker certificate for `hosts`, signed by the CA, valid for 397 days (what browsers accept). */
async function issueServerCert(
  files: DevCaFiles & { caKey: string },
  hosts: readonly string[],
  now: Date,
): Promise<void> {
  const caCert = new x509.X509Certificate(readFileSync(files.caCert, 'utf8'));
  const caKey = await importPrivateKey(readFileSync(files.caKey, 'utf8'));
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${hosts[0]}`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + 397 * DAY_MS),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        hosts.map((host) => ({ type: isIp(host) ? 'ip' : 'dns', value: host })),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  // The broker runs as another user than the one that writes this: readable by the
  // volume's users. Only the broker and this step mount that volume.
  writePrivate(files.serverKey, await privateKeyPem(keys.privateKey), 0o644);
  writePrivate(files.serverCert, cert.toString('pem') + '\n', 0o644);
}

function needsRenewal(certFile: string, hosts: readonly string[], now: Date): boolean {
  if (!existsSync(certFile)) return true;
  const cert = new X509Certificate(readFileSync(certFile));
  if (new Date(cert.validTo).getTime() - now.getTime() < 30 * DAY_MS) return true;
  return hosts.some((host) => (isIp(host) ? !cert.checkIP(host) : !cert.checkHost(host)));
}

function isIp(host: string): boolean {
  return isIPv4(host) || isIPv6(host);
}

function generateKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALGORITHM, true, [
    'sign',
    'verify',
  ]) as Promise<CryptoKeyPair>;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY') + '\n';
}

async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // positive
  return Buffer.from(bytes).toString('hex');
}

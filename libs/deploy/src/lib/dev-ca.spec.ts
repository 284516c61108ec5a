import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
import { devCaFiles, ensureDevCa } from './dev-ca';

describe('development CA', () => {
  it('signs a broker certificate for its hosts that a client trusting the CA accepts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ca-'));
    const { files, created } = await ensureDevCa(dir, ['mosquitto', 'localhost', '127.0.0.1']);
    expect(created).toBe(true);
    const ca = new X509Certificate(readFileSync(files.caCert));
    const server = new X509Certificate(readFileSync(files.serverCert));
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkHost('mosquitto')).toBe('mosquitto');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');

    // A real TLS handshake: verified against the CA, refused without it.
    const tls = createTlsServer(
      { cert: readFileSync(files.serverCert), key: readFileSync(files.serverKey) },
      (socket) => socket.end('hello'),
    );
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const port = (tls.address() as { port: number }).port;
    const handshake = (trust: boolean) =>
      new Promise<string>((resolve, reject) => {
        const socket = tlsConnect(
          {
            port,
            host: '127.0.0.1',
            servername: 'localhost',
            ...(trust ? { ca: readFileSync(files.caCert) } : {}),
          },
          () => socket.once('data', (d) => resolve(d.toString())),
        );
        socket.once('error', reject);
      });
    try {
      await expect(handshake(true)).resolves.toBe('hello');
      await expect(handshake(false)).rejects.toThrow(/self[- ]signed|unable to verify/i);
    } finally {
      tls.close();
    }
  });

  it('keeps the CA and certificate on the next run, and renews a certificate missing a host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ca-'));
    await ensureDevCa(dir, ['mosquitto']);
    const before = readFileSync(devCaFiles(dir).serverCert, 'utf8');
    const caBefore = readFileSync(devCaFiles(dir).caCert, 'utf8');
    expect((await ensureDevCa(dir, ['mosquitto'])).created).toBe(false);
    expect(readFileSync(devCaFiles(dir).serverCert, 'utf8')).toBe(before);

    expect((await ensureDevCa(dir, ['mosquitto', 'broker.example'])).created).toBe(true);
    const renewed = new X509Certificate(readFileSync(devCaFiles(dir).serverCert));
    expect(renewed.checkHost('broker.example')).toBe('broker.example');
    expect(readFileSync(devCaFiles(dir).caCert, 'utf8')).toBe(caBefore);
  });
});

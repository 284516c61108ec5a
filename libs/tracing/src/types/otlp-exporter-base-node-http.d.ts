// The package's `./node-http` entry point is declared in its `exports`, which this
// repository's `moduleResolution: node` does not read; its types are those of the file the
// entry point names.
declare module '@opentelemetry/otlp-exporter-base/node-http' {
  export * from '@opentelemetry/otlp-exporter-base/build/src/index-node-http';
}

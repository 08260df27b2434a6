/**
 * yaml-language-server (what VS Code's YAML extension runs) driven headlessly over stdio, so tests see the job
 * schema the way an editor shows it: the diagnostics it publishes for a document, and its hover text.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Diagnostic {
  /** 1-based line. */
  line: number;
  message: string;
}

type Message = { id?: number; method?: string; params?: Record<string, unknown>; result?: unknown; error?: { message: string } };

const SETTINGS = { yaml: { validate: true, hover: true, completion: true, schemaStore: { enable: false } } };
const TIMEOUT_MS = 15_000;

export class YamlLanguageServer {
  readonly #child: ChildProcess;
  #buffer = Buffer.alloc(0);
  #nextId = 0;
  readonly #replies = new Map<number, (message: Message) => void>();
  readonly #diagnostics = new Map<string, (diagnostics: Diagnostic[]) => void>();
  #version = 0;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.stdout!.on('data', (chunk: Buffer) => this.#read(chunk));
  }

  static async start(): Promise<YamlLanguageServer> {
    const require = createRequire(import.meta.url);
    const bin = join(dirname(require.resolve('yaml-language-server/package.json')), 'bin', 'yaml-language-server');
    const server = new YamlLanguageServer(spawn(process.execPath, [bin, '--stdio'], { stdio: ['pipe', 'pipe', 'ignore'] }));
    await server.#request('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
    server.#notify('initialized', {});
    server.#notify('workspace/didChangeConfiguration', { settings: SETTINGS });
    return server;
  }

  /** Opens `path` (its text given, so the schema modeline resolves relative to that folder) and waits for its diagnostics. */
  async diagnose(path: string, text: string): Promise<Diagnostic[]> {
    const uri = pathToFileURL(path).href;
    const published = new Promise<Diagnostic[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${path} within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      this.#diagnostics.set(uri, (diagnostics) => {
        clearTimeout(timer);
        resolve(diagnostics);
      });
    });
    this.#notify('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: ++this.#version, text } });
    return published;
  }

  /** The hover text at a 1-based line and 0-based column of an opened document. */
  async hover(path: string, line: number, column: number): Promise<string> {
    const result = (await this.#request('textDocument/hover', {
      textDocument: { uri: pathToFileURL(path).href },
      position: { line: line - 1, character: column },
    })) as { contents?: { value?: string } } | null;
    return result?.contents?.value ?? '';
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.kill();
    await exited;
  }

  #send(message: Record<string, unknown>): void {
    const body = JSON.stringify({ jsonrpc: '2.0', ...message });
    this.#child.stdin!.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  #notify(method: string, params: unknown): void {
    this.#send({ method, params });
  }

  #request(method: string, params: unknown): Promise<unknown> {
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method}: no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      this.#replies.set(id, (message) => {
        clearTimeout(timer);
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message.result);
      });
      this.#send({ id, method, params });
    });
  }

  #read(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(this.#buffer.subarray(0, end).toString())?.[1]);
      if (this.#buffer.length < end + 4 + length) return;
      const message = JSON.parse(this.#buffer.subarray(end + 4, end + 4 + length).toString()) as Message;
      this.#buffer = this.#buffer.subarray(end + 4 + length);
      this.#dispatch(message);
    }
  }

  #dispatch(message: Message): void {
    if (message.id !== undefined && message.method !== undefined) {
      // The server asks for settings (one answer per item requested); everything else it asks gets a null.
      const items = (message.params?.items as unknown[] | undefined) ?? [];
      this.#send({ id: message.id, result: message.method === 'workspace/configuration' ? items.map(() => SETTINGS.yaml) : null });
    } else if (message.id !== undefined) {
      this.#replies.get(message.id)?.(message);
      this.#replies.delete(message.id);
    } else if (message.method === 'textDocument/publishDiagnostics') {
      const { uri, diagnostics } = message.params as { uri: string; diagnostics: Array<{ message: string; range: { start: { line: number } } }> };
      this.#diagnostics.get(uri)?.(diagnostics.map((d) => ({ line: d.range.start.line + 1, message: d.message })));
      this.#diagnostics.delete(uri);
    }
  }
}

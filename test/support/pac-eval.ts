/**
 * Evaluates PAC files as a browser would, with pac-resolver 9 on a quickjs-wasi VM. Each PAC gets
 * its own VM: a PAC's `var`s are globals, so two PACs in one VM would overwrite each other's.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createPacResolver, sandbox } from 'pac-resolver';
import { QuickJS } from 'quickjs-wasi';

// lib ES2023 without DOM and @types/node 20 declare no WebAssembly global; this is the part used.
const wasmApi = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } }).WebAssembly;
let wasmModule: object | undefined;

/** The quickjs.wasm bytes quickjs-wasi ships, compiled once per process. */
export function quickjsModule(): object {
  if (wasmModule === undefined) {
    const path = createRequire(import.meta.url).resolve('quickjs-wasi/quickjs.wasm');
    wasmModule = new wasmApi.Module(readFileSync(path));
  }
  return wasmModule;
}

export interface LoadedPac {
  /** FindProxyForURL(`https://host/`, host). */
  find(host: string): Promise<string>;
  dispose(): void;
}

/** `onShExpMatch` is called once per shExpMatch the PAC makes (to count them). */
export async function loadPac(text: string, onShExpMatch?: () => void): Promise<LoadedPac> {
  const vm = await QuickJS.create({ wasm: quickjsModule() });
  const shExpMatch = (str: string, shexp: string): boolean => {
    onShExpMatch?.();
    return sandbox.shExpMatch(str, shexp);
  };
  const resolver = createPacResolver(vm, text, onShExpMatch === undefined ? {} : { sandbox: { shExpMatch } });
  return {
    find: (host) => resolver(`https://${host}/`, host),
    dispose: () => vm.dispose(),
  };
}

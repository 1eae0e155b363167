// A stand-in for the wasm package, for the test of a crashing or hanging
// engine: text containing CRASH makes it trap, HANG makes it loop forever,
// SLOW makes it work for 0.6 s; it labels the first word ORG.
export default async function init() {}

export function version() {
  return 'stand-in';
}

export function detectLanguage() {
  return 'en';
}

export class Engine {
  annotate(text) {
    if (text.includes('CRASH')) throw new WebAssembly.RuntimeError('unreachable');
    if (text.includes('HANG')) for (;;);
    if (text.includes('SLOW')) for (const t = Date.now(); Date.now() - t < 600;);
    const end = text.indexOf(' ');
    return { lang: 'en', referenceDate: null, referenceDateSource: 'none', spans: [{ start: 0, end, label: 'ORG', text: text.slice(0, end), source: 'stand-in' }] };
  }
}

// The key lives in sessionStorage only: it dies with the tab, is never written to localStorage
// (shared by every tab, kept forever) and never goes into a URL (history, logs, Referer).
const STORAGE_NAME = 'customersignal.apiKey';

export function readStoredKey(): string | null {
  try {
    return window.sessionStorage.getItem(STORAGE_NAME);
  } catch {
    return null;
  }
}

export function storeKey(key: string): void {
  window.sessionStorage.setItem(STORAGE_NAME, key);
}

export function clearStoredKey(): void {
  try {
    window.sessionStorage.removeItem(STORAGE_NAME);
  } catch {
    // Storage disabled: there is nothing to clear.
  }
}

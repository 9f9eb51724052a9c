// uPlot reads matchMedia when it loads; jsdom has none. Imported before the App so that it runs first.
if (typeof window !== 'undefined' && !window.matchMedia) {
  window.matchMedia = ((media: string) => ({
    matches: false,
    media,
    onchange: null,
    addEventListener: () => {},
    removeEventListener: () => {},
    addListener: () => {},
    removeListener: () => {},
    dispatchEvent: () => false,
  })) as typeof window.matchMedia;
}

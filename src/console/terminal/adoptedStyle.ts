/**
 * Stands in for the `<style>` elements xterm.js creates (the console build points xterm's
 * `createElement("style")` here, see scripts/xtermCsp.mjs). The console's CSP refuses inline
 * style elements (even empty ones), but not constructable stylesheets: xterm gets an inert
 * `<template>` to place in its DOM, and whatever it writes as the text becomes an adopted
 * stylesheet of the document, dropped again when xterm removes the element.
 */
export function adoptedStyle(doc: Document): HTMLElement {
  const el = doc.createElement('template');
  const Sheet = doc.defaultView?.CSSStyleSheet ?? CSSStyleSheet;
  const sheet = new Sheet();
  let text = '';
  Object.defineProperty(el, 'textContent', {
    configurable: true,
    get: () => text,
    set: (value: string | null) => {
      text = value ?? '';
      sheet.replaceSync(text);
      if (!doc.adoptedStyleSheets.includes(sheet)) doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
    },
  });
  el.remove = () => {
    doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter((s) => s !== sheet);
    Element.prototype.remove.call(el);
  };
  return el;
}

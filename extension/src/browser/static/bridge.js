// Isolated-world half of the segqc content script: the main-world half (content.js) cannot read extension storage,
// so this one hands it the project → guideline map, on start, on request and whenever the options change.
(() => {
  const KEY = 'segqcProjects';
  const send = () =>
    chrome.storage.local.get(KEY, (v) => {
      window.postMessage({ type: 'segqc:config', projects: Array.isArray(v[KEY]) ? v[KEY] : [] }, window.location.origin);
    });
  window.addEventListener('message', (e) => {
    if (e.source === window && e.data && e.data.type === 'segqc:ready') send();
  });
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === 'local' && changes[KEY]) send();
  });
  send();
})();

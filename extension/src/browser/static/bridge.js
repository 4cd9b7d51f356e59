// Isolated-world half of the segqc content script: the main-world half (content.js) cannot read extension storage,
// so this one hands it the project → guideline map, on start (after the service worker has fetched guidelines given
// by URL again), on request and whenever the options change.
(() => {
  const KEY = 'segqcProjects';
  const send = () =>
    chrome.storage.local.get(KEY, (v) => {
      window.postMessage({ type: 'segqc:config', projects: Array.isArray(v[KEY]) ? v[KEY] : [] }, window.location.origin);
    });
  let started = false;
  window.addEventListener('message', (e) => {
    if (started && e.source === window && e.data && e.data.type === 'segqc:ready') send();
  });
  chrome.storage.onChanged.addListener((changes, area) => {
    if (started && area === 'local' && changes[KEY]) send();
  });
  chrome.runtime.sendMessage({ type: 'segqc:refresh' }, () => {
    void chrome.runtime.lastError;
    started = true;
    send();
  });
})();

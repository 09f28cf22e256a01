// Question pickers and column order for Datasette's pages (inlined by question_page.py; no CDN).
(function () {
  const config = window.listenerPages || {questions: [], front: [], back: []};
  const texts = new Map(config.questions.map(([id, text]) => [id, text]));

  function label(id, text) {
    return text.length > 90 ? text.slice(0, 89) + '…' : text;
  }

  // A free-text `question` box (saved queries) becomes a select of the questions by their text.
  document.querySelectorAll('input[name="question"]').forEach(input => {
    if (!config.questions.length) return;
    const select = document.createElement('select');
    select.name = input.name;
    select.id = input.id;
    select.add(new Option('(all questions)', ''));
    config.questions.forEach(([id, text]) => select.add(new Option(label(id, text), id)));
    if (input.value && !texts.has(input.value)) select.add(new Option('unknown question: ' + input.value, input.value));
    select.value = input.value;
    input.replaceWith(select);
  });

  // The dashboard's question filter lists ids: show each question's text instead (values stay ids).
  document.querySelectorAll('select[name="question"] option').forEach(option => {
    if (texts.has(option.value) && option.textContent === option.value) {
      option.textContent = label(option.value, texts.get(option.value));
    }
  });

  // Dashboard tables arrive later (fetched as JSON): show their <time> cells in the team's time zone.
  let format;
  try {
    format = new Intl.DateTimeFormat('en-GB', {timeZone: config.zone, weekday: 'short', day: 'numeric',
      month: 'short', hour: '2-digit', minute: '2-digit', hour12: false});
  } catch (e) {
    format = new Intl.DateTimeFormat('en-GB', {timeZone: 'UTC', weekday: 'short', day: 'numeric',
      month: 'short', hour: '2-digit', minute: '2-digit', hour12: false});
  }
  function localTimes(root) {
    root.querySelectorAll('td time[datetime]:not([title])').forEach(el => {
      const when = new Date(el.getAttribute('datetime'));
      if (isNaN(when)) return;
      el.title = el.getAttribute('datetime') + ' UTC';
      el.textContent = format.format(when).replace(',', '');
    });
  }
  if (document.querySelector('.dashboard-grid, [id^="chart-"]')) {
    new MutationObserver(() => localTimes(document)).observe(document.body, {childList: true, subtree: true});
  }

  // Table pages: the columns people read first, platform ids last.
  const table = document.querySelector('table.rows-and-columns');
  if (!table || !(config.front.length || config.back.length)) return;
  const headers = Array.from(table.querySelectorAll('thead th'));
  const names = headers.map(th => th.dataset.column);
  const rank = name => {
    const front = config.front.indexOf(name), back = config.back.indexOf(name);
    if (front >= 0) return front - 1000;
    if (back >= 0) return 1000 + back;
    return 0;
  };
  const order = names.map((name, i) => [rank(name), i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(p => p[1]);
  if (order.every((v, i) => v === i)) return;
  table.querySelectorAll('tr').forEach(row => {
    const cells = Array.from(row.children);
    if (cells.length !== names.length) return;
    order.forEach(i => row.appendChild(cells[i]));
  });
})();

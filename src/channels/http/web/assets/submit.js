// Progressive enhancement of the reading form: once the account and serial are typed, ask the
// server for the meter's zones and show their fields in the same step; as each value is typed,
// the consumption it implies is shown beside it, so the reading is sent from the form itself
// (form, receipt: two screens). Without JavaScript the form works in steps, with a review.
(function () {
  // Each zone field with the last reading in data-last: the consumption shown as it is typed, and
  // the form sends at once (review=1) instead of showing the review screen.
  function live(form) {
    var fields = form.querySelectorAll('input[name^="zone."][data-last]');
    if (!fields.length || form.querySelector('input[name=review]')) return;
    var review = document.createElement('input');
    review.type = 'hidden'; review.name = 'review'; review.value = '1';
    form.appendChild(review);
    var step = form.querySelector('button[name=step]');
    if (step && form.dataset.send) step.textContent = form.dataset.send;
    fields.forEach(function (f) {
      var out = document.createElement('span');
      out.className = 'live'; out.id = 'live-' + f.name.slice(5);
      out.setAttribute('aria-live', 'polite');
      f.insertAdjacentElement('afterend', out);
      function show() {
        var v = f.value.replace(/\s/g, '');
        if (!/^\d+$/.test(v) || f.dataset.last === '') { out.textContent = ''; return; }
        var kwh = parseInt(v, 10) - parseInt(f.dataset.last, 10);
        out.textContent = kwh < 0 ? form.dataset.lower
                                  : form.dataset.consumption + ': ' + kwh + ' ' + form.dataset.kwh;
      }
      f.addEventListener('input', show);
      show();
    });
  }
  var print = document.querySelector('[data-print]');
  if (print) { print.hidden = false; print.addEventListener('click', function () { window.print(); }); }
  // The cabinet's meter choice shows the chosen meter's zones at once.
  var pick = document.getElementById('pick-meter');
  if (pick) pick.serial.addEventListener('change', function () { pick.submit(); });
  var form = document.getElementById('reading-form');
  if (form) live(form);
  var quick = document.querySelectorAll('form.quick-reading');
  for (var i = 0; i < quick.length; i++) live(quick[i]);
  if (!form || !form.account || form.account.readOnly) return;
  var zones = document.getElementById('zones');
  var pending = null;
  function esc(s) { var d = document.createElement('div'); d.textContent = s; return d.innerHTML; }
  function lookup() {
    var a = form.account.value.trim(), s = form.serial.value.trim();
    if (!a || !s) return;
    var body = new URLSearchParams();
    body.set('csrf', form.csrf.value); body.set('account', a); body.set('serial', s);
    if (pending) pending.abort();
    pending = new AbortController();
    fetch('/submit/zones', {method: 'POST', body: body, signal: pending.signal,
                            headers: {'Accept': 'application/json'}})
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (j.error) { zones.innerHTML = '<p class="alert" role="alert">' + esc(j.error) + '</p>'; return; }
        var html = '';
        if (j.last) html += '<p>' + esc(j.last) + '</p>';
        j.zones.forEach(function (z) {
          html += '<label for="zone-' + esc(z.name) + '">' + esc(z.label) + '</label>' +
                  '<input id="zone-' + esc(z.name) + '" name="zone.' + esc(z.name) +
                  '" inputmode="numeric" autocomplete="off" data-last="' +
                  (z.last === undefined ? '' : esc(String(z.last))) + '">';
        });
        zones.innerHTML = html;
        var step = form.querySelector('button[name=step]');
        step.value = '2'; step.textContent = j.submit_label;
        form.account.readOnly = true; form.serial.readOnly = true;
        live(form);
        var first = zones.querySelector('input'); if (first) first.focus();
      })
      .catch(function () {});
  }
  form.serial.addEventListener('change', lookup);
  form.account.addEventListener('change', lookup);
})();

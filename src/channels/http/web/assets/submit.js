// Progressive enhancement of the reading form: once the account and serial are typed, ask the
// server for the meter's zones and show their fields in the same step. Without JavaScript the
// form works in two steps.
(function () {
  var print = document.querySelector('[data-print]');
  if (print) { print.hidden = false; print.addEventListener('click', function () { window.print(); }); }
  // The cabinet's meter choice shows the chosen meter's zones at once.
  var pick = document.getElementById('pick-meter');
  if (pick) pick.serial.addEventListener('change', function () { pick.submit(); });
  var form = document.getElementById('reading-form');
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
                  '" inputmode="numeric" autocomplete="off">';
        });
        zones.innerHTML = html;
        var step = form.querySelector('button[name=step]');
        step.value = '2'; step.textContent = j.submit_label;
        form.account.readOnly = true; form.serial.readOnly = true;
        var first = zones.querySelector('input'); if (first) first.focus();
      })
      .catch(function () {});
  }
  form.serial.addEventListener('change', lookup);
  form.account.addEventListener('change', lookup);
})();

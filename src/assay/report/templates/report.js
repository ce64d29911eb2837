document.querySelectorAll('button[data-open]').forEach(function (b) {
  b.addEventListener('click', function () {
    var open = b.getAttribute('data-open') === '1';
    document.querySelectorAll('details.test').forEach(function (d) { d.open = open; });
  });
});
document.querySelectorAll('button[data-only-failing]').forEach(function (b) {
  b.addEventListener('click', function () {
    var on = b.getAttribute('aria-pressed') !== 'true';
    b.setAttribute('aria-pressed', on ? 'true' : 'false');
    document.querySelectorAll('details.test.passed').forEach(function (d) { d.hidden = on; });
  });
});

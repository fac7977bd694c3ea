// A table wider than the screen scrolls sideways; keyboard users reach the
// hidden columns only if the scrolling box can take focus (WCAG 2.1.1).
document.querySelectorAll('.table-responsive').forEach((box) => {
  if (box.scrollWidth > box.clientWidth && !box.hasAttribute('tabindex')) {
    box.tabIndex = 0;
    box.setAttribute('role', 'region');
    const table = box.querySelector('table');
    const named = table && (table.getAttribute('aria-label') || table.caption?.textContent);
    const heading = box.previousElementSibling;
    const label = named || (heading && /^H\d$/.test(heading.tagName) ? heading.textContent : '');
    if (label) box.setAttribute('aria-label', label.trim());
  }
});
